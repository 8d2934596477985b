using System.Text.Json.Serialization;

namespace ElectisSpace.Core.Settings;

/// <summary>
/// How a change made on both sides since the last sync is resolved (Sync/Reconcile). AimsWins keeps AIMS's value;
/// ClientWins is the design's older name for it. Merge (design: "listed mergeFields merged, other fields server-wins")
/// has no merge fields to list, so it resolves as ServerWins.
/// </summary>
public enum ConflictStrategy { ServerWins, ClientWins, NewestWins, Merge, AimsWins }
public enum AimsCluster { Common, C1 }

/// <summary>An organization's settings as stored in organizations.settings (jsonb). The AIMS password is only ever stored encrypted.</summary>
public sealed class OrganizationSettings
{
    public AimsConnectionSettings Aims { get; set; } = new();
    /// <summary>Entity field → AIMS article data key, per entity kind (space, person, conference).</summary>
    public Dictionary<string, Dictionary<string, string>> FieldMappings { get; set; } = new();
    public CsvSettings Csv { get; set; } = new();
    public ConflictStrategy ConflictStrategy { get; set; } = ConflictStrategy.NewestWins;
    public int PullIntervalMinutes { get; set; } = 5;
}

public sealed class AimsConnectionSettings
{
    public string? BaseUrl { get; set; }
    public AimsCluster Cluster { get; set; } = AimsCluster.Common;
    public string? Company { get; set; }
    public string? Store { get; set; }
    public string? Username { get; set; }
    /// <summary>SecretBox ciphertext; never leaves the server.</summary>
    public string? PasswordCipher { get; set; }
}

public sealed class CsvSettings
{
    public CsvMapping Spaces { get; set; } = new();
    public CsvMapping People { get; set; } = new();
}

/// <summary>
/// CSV header → entity field. Fields are externalId, labelCode, templateName (spaces) or "data.&lt;key&gt;";
/// unmapped headers become data fields under their own name. KeyColumn (people) names the header holding the
/// upsert key (the person's externalId).
/// </summary>
public sealed class CsvMapping
{
    public Dictionary<string, string> Columns { get; set; } = new();
    public string? KeyColumn { get; set; }
}

// ---- API shapes -------------------------------------------------------------------------------------------

public sealed record AimsConnectionDto(string? BaseUrl, AimsCluster Cluster, string? Company, string? Store, string? Username, bool PasswordSet);
public sealed record SettingsDto(AimsConnectionDto Aims, Dictionary<string, Dictionary<string, string>> FieldMappings, CsvSettings Csv,
    ConflictStrategy ConflictStrategy, int PullIntervalMinutes, int Version)
{
    public static SettingsDto From(OrganizationSettings s, int version) => new(
        new AimsConnectionDto(s.Aims.BaseUrl, s.Aims.Cluster, s.Aims.Company, s.Aims.Store, s.Aims.Username, s.Aims.PasswordCipher is not null),
        s.FieldMappings, s.Csv, s.ConflictStrategy, s.PullIntervalMinutes, version);
}

/// <summary>
/// PATCH /settings body (for the API description; the handler merges the raw JSON): every section optional,
/// objects merge key by key, a null value removes a key. aims.password sets the password ("" or null clears it).
/// </summary>
public sealed record UpdateSettingsRequest(AimsConnectionPatch? Aims, Dictionary<string, Dictionary<string, string?>>? FieldMappings,
    CsvSettings? Csv, ConflictStrategy? ConflictStrategy, int? PullIntervalMinutes, int? Version);
public sealed record AimsConnectionPatch(string? BaseUrl, AimsCluster? Cluster, string? Company, string? Store, string? Username,
    [property: JsonPropertyName("password")] string? Password);
