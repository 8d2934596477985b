using ElectisSpace.Core.Settings;

namespace ElectisSpace.Core.Aims;

/// <summary>How the server talks to AIMS (from the Aims:* settings). The defaults follow the real electisSpace client.</summary>
public sealed record AimsOptions
{
    /// <summary>AIMS host used when an organization has not set its own (and by the readiness "alive" check).</summary>
    public string? DefaultBaseUrl { get; init; }
    public AimsCluster DefaultCluster { get; init; } = AimsCluster.Common;
    /// <summary>Per attempt; the AIMS client of electisSpace waits 30 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Retries after the first attempt, on network errors, timeouts, 5xx and 429 only.</summary>
    public int MaxRetries { get; init; } = 3;
    /// <summary>First retry delay; doubles each retry, with jitter, capped at 10 s (a Retry-After header wins).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How long an open circuit refuses calls to a failing AIMS host before letting one through.</summary>
    public TimeSpan CircuitBreakDuration { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A cached AIMS token is refreshed when less than this is left (capped at half its lifetime).</summary>
    public TimeSpan TokenRefreshMargin { get; init; } = TimeSpan.FromMinutes(5);
}
