namespace ElectisSpace.Core.Health;

// TEMPORARY (lead): replaced by the AIMS-client-backed probe once Aims/ lands.
public sealed class UnconfiguredAimsProbe : IAimsAliveProbe
{
    public AimsAlive? Last { get; private set; }
    public Task<AimsAlive> CheckAsync(CancellationToken ct) =>
        Task.FromResult(Last = new AimsAlive("not-configured", null, null, DateTimeOffset.UtcNow));
}
