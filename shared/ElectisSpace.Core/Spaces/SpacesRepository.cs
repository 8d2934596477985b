namespace ElectisSpace.Core.Spaces;

/// <summary>A space row with its current occupant (if any), as read from the database.</summary>
public sealed class SpaceRow
{
    public Guid Id { get; init; }
    public string ExternalId { get; init; } = "";
    public string? LabelCode { get; init; }
    public string? TemplateName { get; init; }
    public string Data { get; init; } = "{}";
    public string SyncStatus { get; init; } = "pending";
    public DateTimeOffset? LastSyncedAt { get; init; }
    public string? SyncError { get; init; }
    public int Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public Guid? PersonId { get; init; }
    public string? PersonExternalId { get; init; }
    public string? PersonData { get; init; }
}

public sealed record AssignedPersonDto(Guid Id, string? ExternalId, Dictionary<string, string> Data);

/// <summary>The space as the API shows it.</summary>
public sealed record SpaceDto(Guid Id, string ExternalId, string? LabelCode, string? TemplateName, Dictionary<string, string> Data,
    AssignedPersonDto? AssignedPerson, SyncStatus SyncStatus, DateTimeOffset? LastSyncedAt, string? SyncError, int Version,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static SpaceDto From(SpaceRow r) => new(r.Id, r.ExternalId, r.LabelCode, r.TemplateName, EntityData.Parse(r.Data),
        r.PersonId is { } pid ? new AssignedPersonDto(pid, r.PersonExternalId, EntityData.Parse(r.PersonData)) : null,
        EnumNames.Parse<SyncStatus>(r.SyncStatus), r.LastSyncedAt, r.SyncError, r.Version, r.CreatedAt, r.UpdatedAt);
}

public sealed record SpaceFilter(string? Search, bool? HasLabel, string? SyncStatus, string SortSql);

public static class SpacesRepository
{
    private const string Select = """
        SELECT s.id, s.external_id, s.label_code, s.template_name, s.data::text AS data, s.sync_status, s.last_synced_at,
               s.sync_error, s.version, s.created_at, s.updated_at,
               p.id AS person_id, p.external_id AS person_external_id, p.data::text AS person_data
        FROM spaces s LEFT JOIN people p ON p.assigned_space_id = s.id
        """;

    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>
    {
        ["externalId"] = "s.external_id", ["labelCode"] = "s.label_code", ["syncStatus"] = "s.sync_status",
        ["createdAt"] = "s.created_at", ["updatedAt"] = "s.updated_at",
    };

    public static Task<SpaceRow?> GetAsync(NpgsqlConnection c, Guid orgId, Guid id, NpgsqlTransaction? tx = null, bool forUpdate = false) =>
        c.QuerySingleOrDefaultAsync<SpaceRow>(
            $"{Select} WHERE s.org_id = @orgId AND s.id = @id{(forUpdate ? " FOR UPDATE OF s" : "")}", new { orgId, id }, tx);

    public static async Task<(IReadOnlyList<SpaceRow> Rows, long Total)> ListAsync(NpgsqlConnection c, Guid orgId, SpaceFilter f, PageRequest page)
    {
        const string where = """
            WHERE s.org_id = @orgId
              AND (@hasLabel::boolean IS NULL OR (s.label_code IS NOT NULL) = @hasLabel)
              AND (@syncStatus::text IS NULL OR s.sync_status = @syncStatus)
              AND (@search::text IS NULL OR s.external_id ILIKE @pattern OR s.label_code ILIKE @pattern
                   OR EXISTS (SELECT 1 FROM jsonb_each_text(s.data) e WHERE e.value ILIKE @pattern))
            """;
        var args = new { orgId, hasLabel = f.HasLabel, syncStatus = f.SyncStatus, search = f.Search, pattern = Like.Contains(f.Search), page.Limit, page.Offset };
        var total = await c.ExecuteScalarAsync<long>($"SELECT count(*) FROM spaces s {where}", args);
        // SortSql comes from the SortColumns allow-list, never from the request text.
        var rows = await c.QueryAsync<SpaceRow>($"{Select} {where} ORDER BY {f.SortSql}, s.id LIMIT @Limit OFFSET @Offset", args);
        return (rows.ToList(), total);
    }
}
