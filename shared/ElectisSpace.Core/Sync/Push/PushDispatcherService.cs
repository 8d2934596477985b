using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>Both hosts: dispatches each organization whose AIMS work this process committed (<see cref="OutboxCommits"/>).</summary>
public sealed class PushDispatcherService(OutboxCommits commits, PushDispatch dispatch, ILogger<PushDispatcherService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        try
        {
            await foreach (var orgId in commits.ReadAllAsync(stop))
                try { await dispatch.DispatchAsync(orgId, stop); }
                catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning(e, "Dispatch failed; the sweeper will re-send"); }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
    }
}
