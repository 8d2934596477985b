using ElectisSpace.Core.Health;

namespace ElectisSpace.Core.Aims;

/// <summary>
/// Readiness's AIMS check: HEAD on the token path of the default AIMS host (Aims:DefaultBaseUrl, Aims:DefaultCluster).
/// "ok" when AIMS answers (any status below 500), "error" when it doesn't, "not-configured" without a default host.
/// The last answer is kept for /health/detailed.
/// </summary>
public sealed class AimsAliveProbe(AimsClient client, AimsOptions options) : IAimsAliveProbe
{
    public AimsAlive? Last { get; private set; }

    public async Task<AimsAlive> CheckAsync(CancellationToken ct)
    {
        if (options.DefaultBaseUrl is not { } baseUrl)
            return Last = new AimsAlive("not-configured", null, null, DateTimeOffset.UtcNow);
        var r = await client.CheckAliveAsync(AimsUrls.Root(baseUrl, options.DefaultCluster), ct);
        return Last = new AimsAlive(r.Up ? "ok" : "error", r.LatencyMs, r.Error, DateTimeOffset.UtcNow);
    }
}
