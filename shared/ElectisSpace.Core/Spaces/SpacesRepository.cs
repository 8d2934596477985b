namespace ElectisSpace.Core.Spaces;

/// <summary>A space row with its current occupant (if any), as read from the database.</summary>
public sealed class SpaceRow : IKeysetRow
{
    public Guid Id { get; init; }
    public string ExternalId { get; init; } = "";
    public string? LabelCode { get; init; }
    public string? TemplateName { get; init; }
    public string Data { get; init; } = "{}";
    public string SyncStatus { get; init; } = Domain.SyncStatus.Pending.Text();
    public DateTimeOffset? LastSyncedAt { get; init; }
    public string? SyncError { get; init; }
    public int Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public Guid? PersonId { get; init; }
    public string? PersonExternalId { get; init; }
    public string? PersonData { get; init; }
    /// <summary>The row's value of the list's sort column as text (lists only), for its next-page cursor.</summary>
    public string? SortValue { get; init; }
}

public sealed record AssignedPersonDto(Guid Id, string? ExternalId, StoredData Data);

/// <summary>The space as the API shows it.</summary>
public sealed record SpaceDto(Guid Id, string ExternalId, string? LabelCode, string? TemplateName, StoredData Data,
    AssignedPersonDto? AssignedPerson, SyncStatus SyncStatus, DateTimeOffset? LastSyncedAt, string? SyncError, int Version,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static SpaceDto From(SpaceRow r) => new(r.Id, r.ExternalId, r.LabelCode, r.TemplateName, new StoredData(r.Data),
        r.PersonId is { } pid ? new AssignedPersonDto(pid, r.PersonExternalId, new StoredData(r.PersonData)) : null,
        EnumNames.Parse<SyncStatus>(r.SyncStatus), r.LastSyncedAt, r.SyncError, r.Version, r.CreatedAt, r.UpdatedAt);
}

public sealed record SpaceFilter(string? Search, bool? HasLabel, string? SyncStatus, ListSort Sort);

public static class SpacesRepository
{
    private const string Columns = """
        SELECT s.id, s.external_id, s.label_code, s.template_name, s.data::text AS data, s.sync_status, s.last_synced_at,
               s.sync_error, s.version, s.created_at, s.updated_at,
               p.id AS person_id, p.external_id AS person_external_id, p.data::text AS person_data
        """;
    private const string Table = "spaces s", Join = "LEFT JOIN people p ON p.assigned_space_id = s.id";
    // At most one person per space (people_assigned_space_key), so the lateral row is unique.
    private const string PageJoin = "LEFT JOIN LATERAL (SELECT p.id, p.external_id, p.data FROM people p WHERE p.assigned_space_id = s.id OFFSET 0) p ON true";
    private const string Select = Columns + "\nFROM " + Table + " " + Join;

    /// <summary>sort= allow-list (API field → SQL); each has an (org_id, column, id) index.</summary>
    public static readonly IReadOnlyDictionary<string, SortColumn> SortColumns = new Dictionary<string, SortColumn>
    {
        ["externalId"] = new("s.external_id", NotNull: true), ["labelCode"] = new("s.label_code"), ["syncStatus"] = new("s.sync_status", NotNull: true),
        ["createdAt"] = new("s.created_at", "timestamptz", NotNull: true), ["updatedAt"] = new("s.updated_at", "timestamptz", NotNull: true),
    };

    public static Task<SpaceRow?> GetAsync(NpgsqlConnection c, Guid orgId, Guid id, NpgsqlTransaction? tx = null, bool forUpdate = false) =>
        c.QuerySingleOrDefaultAsync<SpaceRow>(
            $"{Select} WHERE s.org_id = @orgId AND s.id = @id{(forUpdate ? " FOR UPDATE OF s" : "")}", new { orgId, id }, tx);

    /// <summary>The list's filters as a WHERE of fixed fragments (see SqlWhere); search is index-backed (see Like.AddSearch).</summary>
    public static SqlWhere Where(Guid orgId, SpaceFilter f)
    {
        var w = new SqlWhere("s.org_id = @orgId", orgId);
        if (f.HasLabel is { } hasLabel) w.And(hasLabel ? "s.label_code IS NOT NULL" : "s.label_code IS NULL");
        w.And("s.sync_status = @syncStatus", "syncStatus", f.SyncStatus);
        return w.AddSearch(f.Search, "s.search_text", """
            s.external_id ILIKE @pattern OR s.label_code ILIKE @pattern
            OR EXISTS (SELECT 1 FROM jsonb_each_text(s.data) e WHERE e.value ILIKE @pattern)
            """);
    }

    private static readonly KeysetList List = new(Columns, Table, PageJoin, "s.id");

    /// <summary>One page (by page= or after a cursor) and the exact total; see KeysetList.</summary>
    public static Task<(IReadOnlyList<SpaceRow> Rows, long Total)> ListAsync(NpgsqlConnection c, Guid orgId, SpaceFilter f,
        PageRequest page, ListCursor? cursor = null, KeptTotals? totals = null) =>
        List.PageAsync<SpaceRow>(c, () => Where(orgId, f), f.Sort, page, cursor, totals);

    public static (string Sql, DynamicParameters Args) ListQuery(Guid orgId, SpaceFilter f, PageRequest page, ListCursor? cursor) =>
        List.PageQuery(Where(orgId, f), f.Sort, page, cursor);

    public static (string Sql, DynamicParameters Args) CountQuery(Guid orgId, SpaceFilter f) => List.CountQuery(Where(orgId, f));
}
