using System.Diagnostics;

namespace ElectisSpace.Tests.Infrastructure;

/// <summary>What the host sent to PostgreSQL while serving one request.</summary>
public static class NpgsqlTrace
{
    /// <summary>
    /// The statements and batches Npgsql sent while serving one request, found by the request's trace id (the request
    /// carries a traceparent; ASP.NET Core's request activity and Npgsql's command activities share its trace).
    /// </summary>
    public static Task<(HttpResponseMessage Response, List<string> Commands)> GetAsync(HttpClient c, string url) =>
        SendAsync(c, new HttpRequestMessage(HttpMethod.Get, url));

    /// <summary><see cref="GetAsync"/> for any request.</summary>
    public static async Task<(HttpResponseMessage Response, List<string> Commands)> SendAsync(HttpClient c, HttpRequestMessage request)
    {
        var traceId = ActivityTraceId.CreateRandom();
        var commands = new List<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.Source.Name == "Npgsql" && a.TraceId == traceId && a.Kind == ActivityKind.Client)
                    lock (commands) commands.Add(a.GetTagItem("db.query.text") as string ?? a.GetTagItem("db.statement") as string ?? a.DisplayName);
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var req = request;
        req.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        var res = await c.SendAsync(req);
        await res.Content.LoadIntoBufferAsync();
        lock (commands) return (res, [.. commands]);
    }
}
