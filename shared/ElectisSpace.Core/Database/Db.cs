using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Idempotency;
using ElectisSpace.Core.Sync;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Core.Database;

/// <summary>
/// The one way to reach PostgreSQL: a connection per unit of work from the single NpgsqlDataSource,
/// and the one transaction helper. Unique-key and foreign-key violations become API errors here,
/// so no repository has to remember to translate them.
/// After a commit that queued AIMS work it tells <see cref="OutboxCommits"/> (the dispatcher), once the work is visible;
/// after every commit it wakes this instance's event poller (<see cref="Events.EventCommits"/>), which reads the events it wrote.
/// </summary>
public sealed class Db(NpgsqlDataSource dataSource, OutboxCommits? outboxCommits = null, Events.EventCommits? eventCommits = null)
{
    public NpgsqlDataSource DataSource => dataSource;

    public async Task<T> ReadAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            try
            {
                // A write's check rides with its commit (Api.RunWrite); a statement outside a transaction may write too, so
                // there the check goes first.
                if (PendingSignIn.ForCommit is { } signIn) await signIn.RunAsync(conn);
                return await work(conn);
            }
            catch (PostgresException e) when (attempt < 3 && IsStalePreparedStatement(e)) { }
            catch (PostgresException e) { throw DbErrors.Translate(e); }
        }
    }

    /// <summary>
    /// Statements are prepared per connection (ServerSettings.PooledConnectionString). One prepared before a migration
    /// changed the shape of its result fails once with 0A000 ("cached plan must not change result type"); Npgsql then
    /// drops it, so running the unit of work again re-prepares it and succeeds. Matched on the routine that raises it
    /// (message text is localized).
    /// </summary>
    private static bool IsStalePreparedStatement(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.FeatureNotSupported && e.Routine == "RevalidateCachedQuery";

    /// <summary>
    /// Runs work in one transaction and commits (with the rows kept for the commit, <see cref="CommitBatch"/>); any
    /// exception rolls everything back (entity, audit and outbox rows together). Serialization failures, deadlocks and stale prepared statements are retried, they are not the caller's fault.
    /// A request's sign-in check still to pass (<see cref="PendingSignIn.ForCommit"/>) is the first statement of the commit
    /// batch: refused, it aborts the batch and nothing is kept.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            // Disposing a transaction that did not commit rolls it back (also after a failed COMMIT, which ends it).
            await using var tx = await conn.BeginTransactionAsync(ct);
            var batch = CommitBatch.Begin(tx);
            try
            {
                var result = await work(conn, tx);
                // A request's answer built in its transaction is kept with the change (Idempotency-Key).
                if (result is IResult answer && IdempotentRequest.Current is { } idempotent) await idempotent.RecordAtCommitAsync(batch, answer);
                var signIn = PendingSignIn.ForCommit;
                await batch.CommitAsync(conn, tx, signIn?.CommitCheck(), ct);
                signIn?.PassedAtCommit();
                batch.Find<IdempotentRequest.AnswerRow>()?.Committed();
                if (outboxCommits is not null && batch.Find<OutboxRows>() is { } outbox)
                    foreach (var orgId in outbox.Organizations) outboxCommits.Add(orgId);
                eventCommits?.Set();
                return result;
            }
            catch (PostgresException e) when (attempt < 3 && (e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
                                                              || IsStalePreparedStatement(e)))
            {
            }
            catch (PostgresException e) when (e.SqlState == PendingSignIn.RefusedAtCommit)
            {
                // Api.Run answers 401/403 from the check run on its own; this is the answer only if that check now passes
                // (the user was changed back in between), and then trying again is right.
                throw new ApiException(503, ErrorCodes.ServiceUnavailable, "The sign-in could not be confirmed. Try again.")
                    { RetryAfterSeconds = 1 };
            }
            catch (PostgresException e)
            {
                throw DbErrors.Translate(e);
            }
            finally
            {
                CommitBatch.End(tx);
            }
        }
    }

    public Task InTransactionAsync(Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken ct = default) =>
        InTransactionAsync<bool>(async (c, t) => { await work(c, t); return true; }, ct);
}

/// <summary>Constraint name → client-facing message, for every unique/foreign key a client can hit.</summary>
public static class DbErrors
{
    // Constraint names come from the migrations; keep this list in step when adding a unique or foreign key.
    private static readonly Dictionary<string, string> Messages = new(StringComparer.Ordinal)
    {
        ["users_org_email_key"] = "A user with this email already exists in the organization.",
        ["organizations_code_key"] = "An organization with this code already exists.",
        ["label_assignments_pkey"] = "This label is already assigned to another space or conference room.",
        ["spaces_org_external_id_key"] = "A space with this externalId already exists.",
        ["conference_rooms_org_external_id_key"] = "A conference room with this externalId already exists.",
        ["people_org_external_id_key"] = "A person with this externalId already exists.",
        ["people_assigned_space_key"] = "This space is already assigned to someone else.",
        ["people_lists_org_name_key"] = "A people list with this name already exists.",
    };

    // Foreign keys whose violation on insert/update means the referenced row is gone: 404 for that entity. (Deleting a
    // row that is still referenced is handled where the delete happens, which knows what holds on to it.)
    private static readonly Dictionary<string, string> MissingReferences = new(StringComparer.Ordinal)
    {
        ["people_space_fkey"] = "Space",
    };

    public static Exception Translate(PostgresException e)
    {
        Messages.TryGetValue(e.ConstraintName ?? "", out var message);
        if (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && MissingReferences.TryGetValue(e.ConstraintName ?? "", out var what))
            return ApiException.NotFound(what);
        return e.SqlState switch
        {
            IdempotentRequest.ClaimLostState => new ApiException(409, ErrorCodes.IdempotencyKeyInUse,
                "Another request with this Idempotency-Key took it over; retry to get its answer.") { RetryAfterSeconds = 1 },
            PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ExclusionViolation =>
                ApiException.Conflict(message ?? "A record with these values already exists."),
            PostgresErrorCodes.ForeignKeyViolation =>
                ApiException.Business(message ?? "A referenced record does not exist or is still in use."),
            PostgresErrorCodes.CheckViolation =>
                ApiException.Validation(message ?? "A value is out of the allowed range."),
            _ => e,
        };
    }
}
