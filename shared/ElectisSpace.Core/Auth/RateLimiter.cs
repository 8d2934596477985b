namespace ElectisSpace.Core.Auth;

/// <summary>
/// Fixed-window counters in PostgreSQL, so a limit holds across every instance of the server
/// (in-memory limiters would multiply the allowance by the instance count).
/// </summary>
public sealed class RateLimiter(Db db, TimeProvider clock)
{
    private const string HitSql = """
        INSERT INTO rate_limits (key, window_start, count) VALUES (@Key, @Window, 1)
        ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1
        RETURNING count
        """;

    /// <summary>Counts one hit for each key; throws RATE_LIMITED (with Retry-After) when any key is over its limit.</summary>
    public async Task HitAsync(IEnumerable<string> keys, int limit, TimeSpan window, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var windowTicks = window.Ticks;
        var start = new DateTimeOffset(now.UtcTicks - now.UtcTicks % windowTicks, TimeSpan.Zero);
        var counts = await db.ReadAsync(async c =>
        {
            var list = new List<int>();
            foreach (var key in keys) list.Add(await c.ExecuteScalarAsync<int>(HitSql, new { Key = key, Window = start }));
            // Old windows are useless; trim them now and then rather than on every hit.
            if (Random.Shared.Next(100) == 0)
                await c.ExecuteAsync("DELETE FROM rate_limits WHERE window_start < @Cutoff", new { Cutoff = now.AddHours(-1) });
            return list;
        }, ct);
        if (counts.Any(n => n > limit))
        {
            var retryAfter = (int)Math.Ceiling((start + window - now).TotalSeconds);
            throw ApiException.RateLimited(Math.Max(1, retryAfter));
        }
    }
}
