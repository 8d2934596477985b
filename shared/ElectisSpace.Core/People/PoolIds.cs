namespace ElectisSpace.Core.People;

/// <summary>
/// POOL-nnnn ids: the AIMS article id of a person who sits nowhere, so the person still exists in AIMS.
/// Numbers come from the sequence behind the SQL function next_pool_id() (migration 0007): taking one locks nothing
/// until commit, so concurrent creations never queue behind each other, and it is not in the assignment lock order
/// (see <see cref="PeopleAssignments"/>). Gaps are normal; a number is never handed out twice, and
/// people_org_virtual_space_key keeps ids unique per organization.
/// </summary>
public static class PoolIds
{
    public const string Prefix = "POOL-";

    /// <summary>The SQL expression for a fresh POOL id: use it inside statements, one call per row (set-based imports).</summary>
    public const string NextSql = "next_pool_id()";

    public static Task<string> NextAsync(NpgsqlConnection c, NpgsqlTransaction tx) =>
        c.ExecuteScalarAsync<string>($"SELECT {NextSql}", transaction: tx)!;
}
