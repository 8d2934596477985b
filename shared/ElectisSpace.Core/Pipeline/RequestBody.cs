namespace ElectisSpace.Core.Pipeline;

/// <summary>Reads request bodies with a size cap; malformed JSON and wrong types become VALIDATION_ERROR.</summary>
public static class RequestBody
{
    public const long MaxJsonBytes = 1024 * 1024;       // 1 MiB for JSON bodies
    public const long MaxUploadBytes = 10 * 1024 * 1024; // 10 MiB for CSV uploads

    public static async Task<T> ReadJsonAsync<T>(HttpRequest req, CancellationToken ct) where T : class =>
        (await ReadJsonWithKeysAsync<T>(req, ct, optional: false)).Body;

    /// <summary>
    /// The body plus the top-level property names it contained, so PATCH can tell "set to null" from "not given".
    /// With optional, an empty body is an empty object (endpoints whose body has only optional fields).
    /// </summary>
    public static async Task<JsonBody<T>> ReadJsonWithKeysAsync<T>(HttpRequest req, CancellationToken ct, bool optional) where T : class
    {
        var bytes = await ReadBytesAsync(req, MaxJsonBytes, ct);
        if (bytes.Length == 0)
        {
            if (!optional) throw ApiException.Validation("A JSON body is required.");
            bytes = "{}"u8.ToArray();
        }
        else if (!IsJson(req.ContentType))
            throw ApiException.Unsupported("Send the body as application/json.");
        JsonText.Check(bytes);
        try
        {
            var node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = JsonText.MaxDepth }) as JsonObject
                       ?? throw ApiException.Validation("A JSON object is required.");
            var keys = node.Select(p => p.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var body = node.Deserialize<T>(Json.Options) ?? throw ApiException.Validation("A JSON object is required.");
            return new JsonBody<T>(body, keys);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            throw ApiException.Validation("The JSON body is malformed or has a value of the wrong type.",
                new FieldError(field, DescribeJsonError(e)));
        }
    }

    /// <summary>The whole body, refusing (413) as soon as it passes maxBytes, so a huge upload is never buffered.</summary>
    public static async Task<byte[]> ReadBytesAsync(HttpRequest req, long maxBytes, CancellationToken ct)
    {
        if (req.ContentLength > maxBytes) throw ApiException.TooLarge(maxBytes);
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await req.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + read > maxBytes) throw ApiException.TooLarge(maxBytes);
            ms.Write(buffer, 0, read);
        }
        return ms.ToArray();
    }

    private static bool IsJson(string? contentType) =>
        contentType is null || contentType.Contains("json", StringComparison.OrdinalIgnoreCase);

    private static string DescribeJsonError(JsonException e)
    {
        // System.Text.Json messages name .NET types; keep only the part a client can act on.
        var m = e.Message;
        if (m.Contains("could not be converted", StringComparison.Ordinal)) return "The value has the wrong type or an unknown value.";
        if (m.Contains("missing required properties", StringComparison.Ordinal)) return "A required property is missing.";
        return "The JSON is malformed.";
    }
}

/// <summary>A parsed JSON body and which top-level properties it actually had.</summary>
public sealed record JsonBody<T>(T Body, IReadOnlySet<string> Keys)
{
    public bool Has(string property) => Keys.Contains(property);
}
