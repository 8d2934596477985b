namespace ElectisSpace.Core.Database;

/// <summary>
/// Which database failures mean "try again shortly" (503 + Retry-After in <see cref="Api"/>), as opposed to a bug (500):
/// the server can't be reached or is shutting down/starting up (connection exceptions, SQLSTATE class 08, 57P01-57P03),
/// the pool timed out waiting for a connection, or a deadlock (40P01) / serialization failure (40001) survived the
/// retries of <see cref="Db.InTransactionAsync{T}"/>.
/// </summary>
public static class DbUnavailable
{
    public const int RetryAfterSeconds = 5;

    public static bool Matches(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case PostgresException pg:
                    return pg.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                            or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                            or PostgresErrorCodes.TooManyConnections;
                case NpgsqlException n:
                    // Not a server error answer: the connection broke, couldn't be opened, or the pool timed out.
                    return true;
            }
        }
        return false;
    }
}
