using System.Collections.Concurrent;
using ElectisSpace.Core.Aims;

namespace ElectisSpace.Core.Sync;

/// <summary>
/// Whether an AIMS host is usable right now. While it is down, push jobs wait without spending attempts. The default
/// learns from the client's own failures (unreachable, circuit open); an alive-check state can replace it (one seam).
/// </summary>
public interface IAimsAvailability
{
    /// <summary>Null when AIMS may be called; else how long to wait before trying again.</summary>
    TimeSpan? DownFor(AimsConnection conn);
    /// <summary>The last call failed for want of AIMS and none has succeeded since (what sync status shows).</summary>
    bool IsDown(AimsConnection conn);
    void ReportDown(AimsConnection conn, TimeSpan wait);
    void ReportUp(AimsConnection conn);
}

public sealed class ClientFailureAvailability(TimeProvider time) : IAimsAvailability
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _downUntil = new(StringComparer.OrdinalIgnoreCase);

    public TimeSpan? DownFor(AimsConnection conn) =>
        _downUntil.TryGetValue(conn.Root, out var until) && until > time.GetUtcNow() ? until - time.GetUtcNow() : null;

    public bool IsDown(AimsConnection conn) => _downUntil.ContainsKey(conn.Root);

    public void ReportDown(AimsConnection conn, TimeSpan wait) => _downUntil[conn.Root] = time.GetUtcNow() + wait;

    public void ReportUp(AimsConnection conn) => _downUntil.TryRemove(conn.Root, out _);
}
