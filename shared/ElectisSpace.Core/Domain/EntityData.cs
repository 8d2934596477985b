using System.Text.RegularExpressions;

namespace ElectisSpace.Core.Domain;

/// <summary>
/// The free-form `data` of spaces and people: a flat object of string fields (AIMS article data is all strings).
/// Numbers and booleans from clients are kept as their text; nested objects/arrays are refused.
/// </summary>
public static partial class EntityData
{
    public const int MaxFields = 100, MaxKeyLength = 64, MaxValueLength = 1000;

    /// <summary>Validated fields; a null value means "remove this field" (PATCH merge semantics).</summary>
    public static Dictionary<string, string?> Normalize(Dictionary<string, JsonElement>? input, string field, Validator v)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (input is null) return result;
        if (input.Count > MaxFields) v.Add(field, $"{field} can have at most {MaxFields} fields.");
        foreach (var (key, value) in input)
        {
            if (!KeyRegex().IsMatch(key)) { v.Add($"{field}.{key}", $"Field names are 1-{MaxKeyLength} letters, digits, '_', '-', '.' or spaces."); continue; }
            string? text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                JsonValueKind.Null => null,
                _ => Invalid(v, $"{field}.{key}"),
            };
            if (text is { Length: > MaxValueLength }) v.Add($"{field}.{key}", $"Values are at most {MaxValueLength} characters.");
            result[key] = text;
        }
        return result;
    }

    private static string? Invalid(Validator v, string field)
    {
        v.Add(field, "Values must be strings, numbers or booleans.");
        return null;
    }

    /// <summary>Applies a PATCH: given fields replace, null fields are removed.</summary>
    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> current, Dictionary<string, string?> patch)
    {
        var merged = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var (k, val) in patch)
            if (val is null) merged.Remove(k); else merged[k] = val;
        return merged;
    }

    public static Dictionary<string, string> WithoutNulls(Dictionary<string, string?> d) =>
        d.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);

    public static Dictionary<string, string> Parse(string? json) =>
        string.IsNullOrEmpty(json) ? new(StringComparer.Ordinal)
            : JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? new(StringComparer.Ordinal);

    [GeneratedRegex(@"^[A-Za-z0-9_\-. ]{1,64}$")]
    private static partial Regex KeyRegex();
}

/// <summary>Where an entity stands with AIMS (stored and shown as its kebab-case name: <see cref="SyncStatusText.Text"/>).</summary>
public enum SyncStatus { Pending, Syncing, Synced, Error, Failed }

public static class SyncStatusText
{
    /// <summary>The spelling in sync_status columns and in the API ("pending", "synced", ...).</summary>
    public static string Text(this SyncStatus status) => EnumNames.Name(status);
}

/// <summary>
/// The kinds of entity that become AIMS articles, as spelled in sync_queue.entity_type, the audit log and the
/// organization's fieldMappings / article mapping keys.
/// </summary>
public static class EntityTypes
{
    public const string Space = "space", Person = "person", Conference = "conference";
    public static readonly IReadOnlyList<string> All = [Space, Person, Conference];
}

/// <summary>Identifier formats shared by spaces, rooms and labels.</summary>
public static partial class Identifiers
{
    /// <summary>AIMS article ids: letters, digits, '-', '_'; at most 64.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9_\-]{1,64}$")]
    public static partial Regex ExternalId();

    /// <summary>ESL label codes: hex-like codes, optionally separated (e.g. 0475E4F2B1C3 or E4:5F:01:23:45:67).</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9:\-]{2,63}$")]
    public static partial Regex LabelCode();

    public static Validator ExternalId(this Validator v, string field, string? value) =>
        v.Matches(field, value, ExternalId(), $"{field} must be 1-64 letters, digits, '-' or '_'.");

    public static Validator LabelCode(this Validator v, string field, string? value) =>
        v.Matches(field, value, LabelCode(), $"{field} must be 3-64 letters, digits, ':' or '-' (e.g. 0475E4F2B1C3).");
}

public static class Text
{
    /// <summary>Trimmed text, or null for null/blank (optional string fields are stored as NULL, not "").</summary>
    public static string? OrNull(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
