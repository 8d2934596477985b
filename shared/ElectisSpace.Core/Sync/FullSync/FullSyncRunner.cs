using System.Collections.Concurrent;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Sync.Jobs;
using Microsoft.Extensions.Logging;

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
/// Standalone: the orchestration's steps in the same order with the same retries (StepMaxAttempts, StepRetry doubling),
/// batches fanned out, as a background task of this process. The job row is the same one Functions writes, and the
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

public static class FullSyncRunner
{
    /// <summary>The orchestration's steps, run in process (see <see cref="FullSyncOrchestration.RunAsync"/> for the same flow).</summary>
    public static async Task<SyncStats> RunAsync(SyncSteps steps, FullSyncInput input, CancellationToken ct = default)
    {
        var jobId = input.JobId;
        PlanSummary plan;
        StepResult applied;
        try
        {
            await WithRetry(input, async () => { await steps.BeginAsync(jobId, ct); return 0; }, ct);
            plan = await WithRetry(input, () => steps.PlanAsync(jobId, ct), ct);
            applied = await WithRetry(input, () => steps.ApplyLocalAsync(jobId, ct), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await steps.FailAsync(jobId, e.Message, CancellationToken.None);
            return new SyncStats();
        }
        var batches = await Task.WhenAll(Enumerable.Range(0, plan.Batches).Select(async b =>
        {
            try { return await WithRetry(input, () => steps.PushBatchAsync(jobId, b, ct), ct); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return await WithRetry(input, () => steps.MarkBatchFailedAsync(jobId, b, e.Message, ct), ct);
            }
        }));
        var stats = FullSyncOrchestration.Totals(plan, applied, batches);
        return await WithRetry(input, () => steps.CompleteAsync(jobId, stats, ct), ct);
    }

    /// <summary>The Durable RetryPolicy's schedule: MaxAttempts tries, waiting FirstRetry, then doubling.</summary>
    private static async Task<T> WithRetry<T>(FullSyncInput input, Func<Task<T>> step, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(input.FirstRetryMilliseconds);
        for (var attempt = 1; ; attempt++)
        {
            try { return await step(); }
            catch (Exception e) when (attempt < input.MaxAttempts && e is not OperationCanceledException && e is not SyncAbortedException)
            {
                await Task.Delay(delay, ct);
                delay *= 2;
            }
        }
    }
}
