using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>Standalone: runs the sweeper every Sync:SweepIntervalSeconds (the Functions app uses a TimerTrigger).</summary>
public sealed class PushSweeperService(PushSweeper sweeper, ServerSettings settings, ILogger<PushSweeperService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(settings.Sync.SweepInterval);
        while (await WaitAsync(timer, stop))
            try { await sweeper.SweepAsync(stop); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning(e, "Sweep failed"); }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer t, CancellationToken stop)
    {
        try { return await t.WaitForNextTickAsync(stop); } catch (OperationCanceledException) { return false; }
    }
}
