using System.Collections.Concurrent;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Sync.Jobs;
using Microsoft.Extensions.Logging;
using Polly;

namespace ElectisSpace.Core.Sync.FullSync;

/// <summary>
/// Starts a full sync of an organization and answers its job id; Started = false when one was already running (that job's id).
/// Functions starts the Durable orchestration (through the DurableTaskClient its HTTP trigger is given); Standalone runs
/// the same steps as a background job (<see cref="BackgroundFullSyncStarter"/>).
/// </summary>
public interface IFullSyncStarter
{
    Task<(Guid JobId, bool Started)> StartAsync(Guid orgId, Guid? requestedBy, CancellationToken ct);
}

/// <summary>
/// Standalone: the full sync flow (<see cref="FullSyncFlow"/>, the same steps and retries as the Durable orchestration)
/// as a background task of this process. The job row is the same one Functions writes, and the
/// sync_jobs unique index keeps it to one full sync per organization.
/// </summary>
public sealed class BackgroundFullSyncStarter(Db db, SyncSteps steps, ServerSettings settings, ILogger<BackgroundFullSyncStarter> log)
    : IFullSyncStarter, IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, Task> _running = new();
    private readonly CancellationTokenSource _stopping = new();

    public async Task<(Guid JobId, bool Started)> StartAsync(Guid orgId, Guid? requestedBy, CancellationToken ct)
    {
        var (jobId, created) = await SyncJobStore.CreateAsync(db, orgId, SyncJobTypes.Full, "api", requestedBy, ct);
        if (!created) return (jobId, false);
        var input = new FullSyncInput(jobId, settings.SyncSchedule.StepMaxAttempts, settings.SyncSchedule.StepRetryMilliseconds);
        _running[jobId] = Task.Run(async () =>
        {
            // The heartbeat keeps the job's lease while this process runs it; if the process dies, the sweeper ends the job.
            await using var heartbeat = JobHeartbeat.Start(db, jobId, settings.Sync.Lease, log);
            try { await FullSyncRunner.RunAsync(steps, input, _stopping.Token); }
            catch (Exception e)
            {
                log.LogError(e, "Full sync {JobId} stopped", jobId);
                var reason = e is OperationCanceledException ? "The host stopped during the full sync; start a new one." : e.Message;
                try { await steps.FailAsync(jobId, reason, CancellationToken.None); }
                catch (Exception f) { log.LogWarning(f, "Full sync {JobId} could not be marked failed; the sweeper will end it", jobId); }
            }
            finally { _running.TryRemove(jobId, out _); }
        });
        return (jobId, true);
    }

    /// <summary>Waits for the running syncs (tests and graceful shutdown).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Values);

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as IFullSyncStarter, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stopping.CancelAsync();
        try { await WhenIdleAsync(); } catch { /* logged by the task */ }
        _stopping.Dispose();
    }
}

/// <summary>Standalone's host of <see cref="FullSyncFlow"/>: each step called in process, retried by the declared <see cref="StepRetry"/> as a Polly pipeline.</summary>
public static class FullSyncRunner
{
    public static Task<SyncStats> RunAsync(SyncSteps steps, FullSyncInput input, CancellationToken ct = default, Action<StepAttempt>? observe = null) =>
        FullSyncFlow.RunAsync(new InProcessHost(steps, input.Retry.Pipeline(), observe, ct), input);

    private sealed class InProcessHost(SyncSteps steps, ResiliencePipeline retry, Action<StepAttempt>? observe, CancellationToken ct) : IFullSyncHost
    {
        public async Task<T> CallAsync<T>(string step, object input) => await retry.ExecuteAsync(async token =>
        {
            try
            {
                var output = (T)(await FullSyncFlow.RunStepAsync(steps, step, input, token))!;
                observe?.Invoke(new StepAttempt(step, input, output, null));
                return output;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                observe?.Invoke(new StepAttempt(step, input, null, e.Message));
                throw;
            }
        }, ct);
    }
}
