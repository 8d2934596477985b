using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Jobs;

/// <summary>
/// A runner's proof of life for its job: touches sync_jobs.heartbeat_at every third of the lease until disposed. While
/// the process lives the job keeps its lease; when the process dies the heartbeat stops and the sweeper ends the job.
/// </summary>
public sealed class JobHeartbeat : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private JobHeartbeat(Db db, Guid jobId, TimeSpan lease, ILogger log) => _loop = BeatAsync(db, jobId, lease / 3, log, _stop.Token);

    public static JobHeartbeat Start(Db db, Guid jobId, TimeSpan lease, ILogger log) => new(db, jobId, lease, log);

    private static async Task BeatAsync(Db db, Guid jobId, TimeSpan every, ILogger log, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
                try { if (!await db.ReadAsync(c => SyncJobStore.HeartbeatAsync(c, jobId), stop)) return; }
                catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning(e, "Heartbeat of sync job {JobId} failed", jobId); }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
