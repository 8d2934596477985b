namespace ElectisSpace.Core.People;

/// <summary>
/// POOL-nnnn ids: the AIMS article id of a person who sits nowhere, so the person still exists in AIMS.
/// Numbers come from a per-organization counter (reserved in blocks for imports) and are never reused.
/// </summary>
public static class PoolIds
{
    public const string Prefix = "POOL-";

    public static string Format(long number) => Prefix + number.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reserves count consecutive numbers and returns the first; the counter row lock orders concurrent callers.</summary>
    public static Task<long> ReserveAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, int count) =>
        c.ExecuteScalarAsync<long>("""
            INSERT INTO pool_counters (org_id, next_number) VALUES (@orgId, 1 + @count)
            ON CONFLICT (org_id) DO UPDATE SET next_number = pool_counters.next_number + @count
            RETURNING next_number - @count
            """, new { orgId, count = (long)count }, tx);

    public static async Task<string> NextAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId) =>
        Format(await ReserveAsync(c, tx, orgId, 1));
}
