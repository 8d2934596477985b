namespace ElectisSpace.Core.Settings;

/// <summary>Reads and writes organizations.settings; the one place that knows how settings are stored.</summary>
public static class SettingsStore
{
    public static async Task<(OrganizationSettings Settings, int Version)> LoadAsync(NpgsqlConnection c, Guid orgId,
        NpgsqlTransaction? tx = null, bool forUpdate = false)
    {
        var row = await c.QuerySingleAsync<(string Settings, int Version)>(
            $"SELECT settings::text, version FROM organizations WHERE id = @orgId{(forUpdate ? " FOR UPDATE" : "")}", new { orgId }, tx);
        return (Parse(row.Settings), row.Version);
    }

    public static OrganizationSettings Parse(string json) =>
        JsonSerializer.Deserialize<OrganizationSettings>(json, Json.Options) ?? new OrganizationSettings();

    public static Task SaveAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, OrganizationSettings settings) =>
        c.ExecuteAsync("UPDATE organizations SET settings = @json::jsonb, version = version + 1, updated_at = now() WHERE id = @orgId",
            new { orgId, json = Json.Serialize(settings) }, tx);
}
