namespace ElectisSpace.Core.Idempotency;

/// <summary>
/// An answer as sent: status, the headers a retry needs back (Content-Type, ETag, Location, Cache-Control) and the body
/// bytes. Kept under an Idempotency-Key and sent again, byte for byte, when the same request comes back.
/// </summary>
public sealed record RecordedResponse(int Status, Dictionary<string, string> Headers, byte[] Body)
{
    public const string ReplayedHeader = "Idempotent-Replayed";
    private static readonly string[] Kept = ["Content-Type", "ETag", "Location", "Cache-Control"];

    /// <summary>
    /// Runs the result against a scratch response to get its bytes. Headers a handler set on the real response (ETag via
    /// Concurrency.SetETag) count as well; the scratch response's own win.
    /// </summary>
    public static async Task<RecordedResponse> CaptureAsync(IResult result, HttpContext real)
    {
        var scratch = new DefaultHttpContext { RequestServices = real.RequestServices };
        using var body = new MemoryStream();
        scratch.Response.Body = body;
        await result.ExecuteAsync(scratch);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in Kept)
        {
            if (real.Response.Headers[name].ToString() is { Length: > 0 } fromHandler) headers[name] = fromHandler;
            if (scratch.Response.Headers[name].ToString() is { Length: > 0 } fromResult) headers[name] = fromResult;
        }
        return new RecordedResponse(scratch.Response.StatusCode, headers, body.ToArray());
    }

    /// <summary>The answer to send; a replay says so in Idempotent-Replayed: true.</summary>
    public IResult ToResult(bool replayed) => new Sent(this, replayed);

    private sealed class Sent(RecordedResponse r, bool replayed) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = r.Status;
            foreach (var (name, value) in r.Headers) response.Headers[name] = value;
            if (replayed) response.Headers[ReplayedHeader] = "true";
            if (r.Body.Length > 0) await response.Body.WriteAsync(r.Body, httpContext.RequestAborted);
        }
    }
}
