namespace ElectisSpace.Core.Pipeline;

/// <summary>
/// Optimistic concurrency for PATCH: the client says which version it edited (If-Match header, or `version` in
/// the body); if the row moved on meanwhile the change is refused with 409 instead of silently overwriting.
/// Without either, the change applies to the current version (last write wins), as for clients that don't track versions.
/// </summary>
public static class Concurrency
{
    public static int? ExpectedVersion(HttpRequest req, int? bodyVersion)
    {
        var header = req.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header) || header.Trim() == "*") return bodyVersion;
        var text = header.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal)) text = text[2..];
        text = text.Trim('"');
        if (!int.TryParse(text, out var v) || v < 1)
            throw ApiException.Validation("If-Match must be the entity's version, e.g. \"3\".", new FieldError("If-Match", "Expected a version number."));
        if (bodyVersion is { } b && b != v)
            throw ApiException.Validation("If-Match and version disagree.", new FieldError("version", "Give the same version in both, or only one."));
        return v;
    }

    /// <summary>Throws 409 when the stored version is not the one the client edited.</summary>
    public static void Check(int? expected, int actual, string what)
    {
        if (expected is { } e && e != actual)
            throw ApiException.Conflict($"{what} was changed by someone else (now version {actual}, you edited version {e}). Reload and try again.",
                new { currentVersion = actual });
    }

    /// <summary>The ETag for a version, so a client can send it back as If-Match.</summary>
    public static void SetETag(HttpRequest req, int version) => req.HttpContext.Response.Headers.ETag = ETag(version);

    /// <summary>
    /// The answer with the version's ETag, as one result: what a handler returns from inside its transaction, so the answer
    /// kept under an Idempotency-Key (written with the commit) carries the ETag too.
    /// </summary>
    public static IResult WithETag(IResult answer, int version) => new ETagged(answer, ETag(version));

    private static string ETag(int version) => $"\"{version}\"";

    private sealed class ETagged(IResult answer, string etag) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.ETag = etag;
            return answer.ExecuteAsync(httpContext);
        }
    }
}
