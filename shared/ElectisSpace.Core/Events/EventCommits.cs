namespace ElectisSpace.Core.Events;

/// <summary>
/// Wakes this instance's event poller (<see cref="EventHub"/>) after a commit of this process, so a change reaches the
/// streams on this instance without waiting for the next poll. Many commits before the poller wakes make one wake-up.
/// </summary>
public sealed class EventCommits
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Set()
    {
        if (_signal.CurrentCount > 0) return;
        try { _signal.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>Waits for a wake-up or the timeout, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}
