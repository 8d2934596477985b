namespace ElectisSpace.Core.People;

public sealed class PersonRow
{
    public Guid Id { get; init; }
    public string? ExternalId { get; init; }
    public string Data { get; init; } = "{}";
    public Guid? AssignedSpaceId { get; init; }
    public string? VirtualSpaceId { get; init; }
    public string SyncStatus { get; init; } = "pending";
    public DateTimeOffset? LastSyncedAt { get; init; }
    public string? SyncError { get; init; }
    public int Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? SpaceExternalId { get; init; }
    public string? SpaceLabelCode { get; init; }
}

public sealed record AssignedSpaceDto(Guid Id, string ExternalId, string? LabelCode);

/// <summary>The person as the API shows it.</summary>
public sealed record PersonDto(Guid Id, string? ExternalId, Dictionary<string, string> Data, Guid? AssignedSpaceId,
    AssignedSpaceDto? AssignedSpace, string? VirtualSpaceId, SyncStatus SyncStatus, DateTimeOffset? LastSyncedAt, string? SyncError,
    int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static PersonDto From(PersonRow r) => new(r.Id, r.ExternalId, EntityData.Parse(r.Data), r.AssignedSpaceId,
        r.AssignedSpaceId is { } sid ? new AssignedSpaceDto(sid, r.SpaceExternalId ?? "", r.SpaceLabelCode) : null,
        r.VirtualSpaceId, EnumNames.Parse<SyncStatus>(r.SyncStatus), r.LastSyncedAt, r.SyncError, r.Version, r.CreatedAt, r.UpdatedAt);
}

public sealed record PeopleFilter(string? Search, bool? Assigned, Guid? ListId, string SortSql);

public static class PeopleRepository
{
    private const string Select = """
        SELECT p.id, p.external_id, p.data::text AS data, p.assigned_space_id, p.virtual_space_id, p.sync_status, p.last_synced_at,
               p.sync_error, p.version, p.created_at, p.updated_at, s.external_id AS space_external_id, s.label_code AS space_label_code
        FROM people p LEFT JOIN spaces s ON s.id = p.assigned_space_id
        """;

    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>
    {
        ["name"] = "p.data->>'name'", ["externalId"] = "p.external_id", ["virtualSpaceId"] = "p.virtual_space_id",
        ["syncStatus"] = "p.sync_status", ["createdAt"] = "p.created_at", ["updatedAt"] = "p.updated_at",
    };

    public static Task<PersonRow?> GetAsync(NpgsqlConnection c, Guid orgId, Guid id, NpgsqlTransaction? tx = null, bool forUpdate = false) =>
        c.QuerySingleOrDefaultAsync<PersonRow>(
            $"{Select} WHERE p.org_id = @orgId AND p.id = @id{(forUpdate ? " FOR UPDATE OF p" : "")}", new { orgId, id }, tx);

    /// <summary>Who sits on the space. With forUpdate the row is locked and rechecked after any wait, so a person who
    /// left the space meanwhile is not returned.</summary>
    public static Task<PersonRow?> GetOnSpaceAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid spaceId, bool forUpdate) =>
        c.QuerySingleOrDefaultAsync<PersonRow>(
            $"{Select} WHERE p.org_id = @orgId AND p.assigned_space_id = @spaceId{(forUpdate ? " FOR UPDATE OF p" : "")}", new { orgId, spaceId }, tx);

    public static async Task<(IReadOnlyList<PersonRow> Rows, long Total)> ListAsync(NpgsqlConnection c, Guid orgId, PeopleFilter f, PageRequest page)
    {
        const string where = """
            WHERE p.org_id = @orgId
              AND (@assigned::boolean IS NULL OR (p.assigned_space_id IS NOT NULL) = @assigned)
              AND (@listId::uuid IS NULL OR EXISTS (SELECT 1 FROM people_list_entries e
                                                    WHERE e.org_id = @orgId AND e.list_id = @listId AND e.person_id = p.id))
              AND (@search::text IS NULL OR p.external_id ILIKE @pattern OR p.virtual_space_id ILIKE @pattern
                   OR EXISTS (SELECT 1 FROM jsonb_each_text(p.data) d WHERE d.value ILIKE @pattern))
            """;
        var args = new { orgId, assigned = f.Assigned, listId = f.ListId, search = f.Search, pattern = Like.Contains(f.Search), page.Limit, page.Offset };
        var total = await c.ExecuteScalarAsync<long>($"SELECT count(*) FROM people p {where}", args);
        // SortSql comes from the SortColumns allow-list, never from the request text.
        var rows = await c.QueryAsync<PersonRow>($"{Select} {where} ORDER BY {f.SortSql}, p.id LIMIT @Limit OFFSET @Offset", args);
        return (rows.ToList(), total);
    }
}
