using System.Text.Json;

namespace ElectisSpace.Core.Aims;

/// <summary>
/// Reading AIMS answers, in one place (AIMS_API §2): responseCode is a string; responseMessage is "SUCCESS", an error
/// text, or (token endpoints) the payload object; lists sit at the top level under articleList/labelList/stores, or under
/// content/data, or are a bare array. Field names are camelCase, sometimes snake_case; data values may be non-strings.
/// </summary>
internal static class AimsJson
{
    /// <summary>The codes AIMS (and the electisSpace client) count as success inside a 2xx answer.</summary>
    public static bool IsSuccessCode(string? code) =>
        string.IsNullOrEmpty(code) || code is "200" or "0000" || code.Equals("SUCCESS", StringComparison.OrdinalIgnoreCase);

    public static string? ResponseCode(JsonElement? root) =>
        root is { ValueKind: JsonValueKind.Object } r && r.TryGetProperty("responseCode", out var c) ? Text(c) : null;

    /// <summary>responseMessage as text (an object payload gives null).</summary>
    public static string? ResponseMessage(JsonElement? root) =>
        root is { ValueKind: JsonValueKind.Object } r && r.TryGetProperty("responseMessage", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString() : null;

    /// <summary>The payload: an object/array responseMessage, else the answer itself.</summary>
    public static JsonElement Payload(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("responseMessage", out var m)
        && m.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? m : root;

    /// <summary>The rows of a list answer; an empty answer (204) is an empty list.</summary>
    public static IReadOnlyList<JsonElement> Rows(JsonElement? root, string listKey)
    {
        if (root is not { } r) return [];
        var payload = Payload(r);
        if (payload.ValueKind == JsonValueKind.Array) return [.. payload.EnumerateArray()];
        if (payload.ValueKind != JsonValueKind.Object) return [];
        foreach (var key in new[] { listKey, "content", "data" })
            if (payload.TryGetProperty(key, out var list) && list.ValueKind == JsonValueKind.Array)
                return [.. list.EnumerateArray()];
        return [];
    }

    /// <summary>The first present, non-null property among the names, as text.</summary>
    public static string? Str(JsonElement row, params string[] names)
    {
        foreach (var name in names)
            if (row.ValueKind == JsonValueKind.Object && row.TryGetProperty(name, out var v) && Text(v) is { } s) return s;
        return null;
    }

    public static int? Int(JsonElement row, params string[] names) =>
        int.TryParse(Str(row, names), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>An AIMS time ("yyyy-MM-dd HH:mm:ss", UTC, or ISO 8601), or null when absent or unreadable.</summary>
    public static DateTimeOffset? Time(JsonElement row, params string[] names) =>
        Str(row, names) is { } t && DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var d) ? d : null;

    public static bool? Bool(JsonElement row, string name) => Str(row, name)?.ToLowerInvariant() switch
    {
        "true" => true, "false" => false, _ => null,
    };

    /// <summary>An array of strings (or of objects carrying one of the names), e.g. assignedLabel or articleList.</summary>
    public static IReadOnlyList<string> Strings(JsonElement row, string name, params string[] objectKeys)
    {
        if (row.ValueKind != JsonValueKind.Object || !row.TryGetProperty(name, out var arr)) return [];
        if (arr.ValueKind == JsonValueKind.String) return arr.GetString() is { Length: > 0 } one ? [one] : [];
        if (arr.ValueKind != JsonValueKind.Array) return [];
        return [.. arr.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Object ? Str(e, objectKeys) : Text(e)).OfType<string>()];
    }

    /// <summary>
    /// An article's data as strings: the data object, plus fields AIMS sometimes puts flat at the top level. AIMS may
    /// return CSV-quoted text ("Dr ""X"""); it is unquoted here so the server never stores the quoting.
    /// </summary>
    public static Dictionary<string, string> Data(JsonElement row, IReadOnlySet<string> topLevelFields)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        if (row.ValueKind != JsonValueKind.Object) return data;
        foreach (var p in row.EnumerateObject())
            if (!topLevelFields.Contains(p.Name) && p.Name != "data" && Text(p.Value) is { } flat) data[p.Name] = Unquote(flat);
        if (row.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object)
            foreach (var p in d.EnumerateObject())
                if (Text(p.Value) is { } v) data[p.Name] = Unquote(v);
        return data;
    }

    public static string Unquote(string v) =>
        v.Length >= 2 && v[0] == '"' && v[^1] == '"' ? v[1..^1].Replace("\"\"", "\"") : v;

    /// <summary>A scalar as text (numbers and booleans as written); objects, arrays and null give null.</summary>
    public static string? Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => null,
    };
}
