namespace ElectisSpace.Core.People;

public sealed class PersonRow : IKeysetRow
{
    public Guid Id { get; init; }
    public string? ExternalId { get; init; }
    public string Data { get; init; } = "{}";
    public Guid? AssignedSpaceId { get; init; }
    public string? VirtualSpaceId { get; init; }
    public string SyncStatus { get; init; } = Domain.SyncStatus.Pending.Text();
    public DateTimeOffset? LastSyncedAt { get; init; }
    public string? SyncError { get; init; }
    public int Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? SpaceExternalId { get; init; }
    public string? SpaceLabelCode { get; init; }
    /// <summary>The row's value of the list's sort column as text (lists only), for its next-page cursor.</summary>
    public string? SortValue { get; init; }
}

public sealed record AssignedSpaceDto(Guid Id, string ExternalId, string? LabelCode);

/// <summary>The person as the API shows it.</summary>
public sealed record PersonDto(Guid Id, string? ExternalId, StoredData Data, Guid? AssignedSpaceId,
    AssignedSpaceDto? AssignedSpace, string? VirtualSpaceId, SyncStatus SyncStatus, DateTimeOffset? LastSyncedAt, string? SyncError,
    int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static PersonDto From(PersonRow r) => new(r.Id, r.ExternalId, new StoredData(r.Data), r.AssignedSpaceId,
        r.AssignedSpaceId is { } sid ? new AssignedSpaceDto(sid, r.SpaceExternalId ?? "", r.SpaceLabelCode) : null,
        r.VirtualSpaceId, EnumNames.Parse<SyncStatus>(r.SyncStatus), r.LastSyncedAt, r.SyncError, r.Version, r.CreatedAt, r.UpdatedAt);
}

public sealed record PeopleFilter(string? Search, bool? Assigned, Guid? ListId, ListSort Sort);

public static class PeopleRepository
{
    private const string Columns = """
        SELECT p.id, p.external_id, p.data::text AS data, p.assigned_space_id, p.virtual_space_id, p.sync_status, p.last_synced_at,
               p.sync_error, p.version, p.created_at, p.updated_at, s.external_id AS space_external_id, s.label_code AS space_label_code
        """;
    private const string Table = "people p", Join = "LEFT JOIN spaces s ON s.id = p.assigned_space_id";
    private const string PageJoin = "LEFT JOIN LATERAL (SELECT s.external_id, s.label_code FROM spaces s WHERE s.id = p.assigned_space_id OFFSET 0) s ON true";
    private const string Select = Columns + "\nFROM " + Table + " " + Join;

    /// <summary>sort= allow-list (API field → SQL); each has an (org_id, column, id) index.</summary>
    public static readonly IReadOnlyDictionary<string, SortColumn> SortColumns = new Dictionary<string, SortColumn>
    {
        ["name"] = new("p.data->>'name'"), ["externalId"] = new("p.external_id"), ["virtualSpaceId"] = new("p.virtual_space_id"),
        ["syncStatus"] = new("p.sync_status", NotNull: true), ["createdAt"] = new("p.created_at", "timestamptz", NotNull: true),
        ["updatedAt"] = new("p.updated_at", "timestamptz", NotNull: true),
    };

    /// <summary>A new person in the POOL (a POOL id of their own), read back as the lists show it, in one statement.</summary>
    public static Task<PersonRow> InsertAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, string? externalId, string dataJson) =>
        c.QuerySingleAsync<PersonRow>($"""
            WITH p AS (
                INSERT INTO people (org_id, external_id, data, virtual_space_id)
                VALUES (@orgId, @externalId, @dataJson::jsonb, {PoolIds.NextSql}) RETURNING *)
            {Columns}
            FROM p {Join}
            """, new { orgId, externalId, dataJson }, tx);

    public static Task<PersonRow?> GetAsync(NpgsqlConnection c, Guid orgId, Guid id, NpgsqlTransaction? tx = null, bool forUpdate = false) =>
        c.QuerySingleOrDefaultAsync<PersonRow>(GetSql(forUpdate), new { orgId, id }, tx);

    /// <summary>GetAsync's statement (parameters orgId, id), for a caller that sends it in a batch.</summary>
    public static string GetSql(bool forUpdate) => $"{Select} WHERE p.org_id = @orgId AND p.id = @id{(forUpdate ? " FOR UPDATE OF p" : "")}";

    /// <summary>Who sits on the space. With forUpdate the row is locked and rechecked after any wait, so a person who
    /// left the space meanwhile is not returned.</summary>
    public static Task<PersonRow?> GetOnSpaceAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid spaceId, bool forUpdate) =>
        c.QuerySingleOrDefaultAsync<PersonRow>(GetOnSpaceSql(forUpdate), new { orgId, spaceId }, tx);

    /// <summary>GetOnSpaceAsync's statement (parameters orgId, spaceId), for a caller that sends it in a batch.</summary>
    public static string GetOnSpaceSql(bool forUpdate) =>
        $"{Select} WHERE p.org_id = @orgId AND p.assigned_space_id = @spaceId{(forUpdate ? " FOR UPDATE OF p" : "")}";

    /// <summary>
    /// Updates the person (set: fixed SQL assignments over the named parameters in args) with a new version, and reads it
    /// back as the API shows it, in one statement.
    /// </summary>
    public static Task<PersonRow> UpdateAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid id, string set, object args)
    {
        var parameters = new DynamicParameters(args);
        parameters.Add("orgId", orgId);
        parameters.Add("id", id);
        return c.QuerySingleAsync<PersonRow>($"""
            WITH p AS (
                UPDATE people SET {set}, version = version + 1, updated_at = now()
                WHERE org_id = @orgId AND id = @id RETURNING *)
            {Columns}
            FROM p {Join}
            """, parameters, tx);
    }

    /// <summary>The list's filters as a WHERE of fixed fragments (see SqlWhere); search is index-backed (see Like.AddSearch).</summary>
    public static SqlWhere Where(Guid orgId, PeopleFilter f)
    {
        var w = new SqlWhere("p.org_id = @orgId", orgId);
        if (f.Assigned is { } assigned) w.And(assigned ? "p.assigned_space_id IS NOT NULL" : "p.assigned_space_id IS NULL");
        w.And("EXISTS (SELECT 1 FROM people_list_entries e WHERE e.org_id = @orgId AND e.list_id = @listId AND e.person_id = p.id)",
            "listId", f.ListId);
        return w.AddSearch(f.Search, "p.search_text", """
            p.external_id ILIKE @pattern OR p.virtual_space_id ILIKE @pattern
            OR EXISTS (SELECT 1 FROM jsonb_each_text(p.data) d WHERE d.value ILIKE @pattern)
            """);
    }

    private static readonly KeysetList List = new(Columns, Table, PageJoin, "p.id");

    /// <summary>One page (by page= or after a cursor) and the exact total; see KeysetList.</summary>
    public static Task<(IReadOnlyList<PersonRow> Rows, long Total)> ListAsync(NpgsqlConnection c, Guid orgId, PeopleFilter f,
        PageRequest page, ListCursor? cursor = null, KeptTotals? totals = null) =>
        List.PageAsync<PersonRow>(c, () => Where(orgId, f), f.Sort, page, cursor, totals);

    public static (string Sql, DynamicParameters Args) ListQuery(Guid orgId, PeopleFilter f, PageRequest page, ListCursor? cursor) =>
        List.PageQuery(Where(orgId, f), f.Sort, page, cursor);

    public static (string Sql, DynamicParameters Args) CountQuery(Guid orgId, PeopleFilter f) => List.CountQuery(Where(orgId, f));

    /// <summary>Every row the list's filters select, in its order, read as PostgreSQL sends them (for streaming).</summary>
    public static IAsyncEnumerable<PersonRow> StreamAsync(NpgsqlConnection c, Guid orgId, PeopleFilter f)
    {
        var where = Where(orgId, f);
        return c.QueryUnbufferedAsync<PersonRow>($"{Select} {where} ORDER BY {f.Sort.OrderBy("p.id")}", where.Parameters);
    }
}
