using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>Wakes the in-process listener at once (a change committed) instead of at its next poll.</summary>
public sealed class PushSignal
{
    private readonly SemaphoreSlim _gate = new(0, 1);

    public void Wake()
    {
        try { if (_gate.CurrentCount == 0) _gate.Release(); }
        catch (SemaphoreFullException) { /* already awake */ }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _gate.WaitAsync(timeout, ct);
}
