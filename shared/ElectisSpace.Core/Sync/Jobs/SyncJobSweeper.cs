using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Jobs;

/// <summary>An active job whose heartbeat is older than the lease.</summary>
public sealed record LapsedJob(Guid Id, Guid OrgId, string Type, DateTime HeartbeatAt);

/// <summary>
/// Ends the full and pull jobs whose runner died: an active job with no heartbeat for Sync:LeaseSeconds is failed with the
/// reason, its plan dropped, so sync_jobs_one_active_idx lets the organization's next sync start. runnerAlive (Functions:
/// "is this job's Durable orchestration still running?") keeps a job whose runner is known to be alive (e.g. waiting
/// between Durable retries); its lease is renewed instead.
/// </summary>
public sealed class SyncJobSweeper(Db db, ServerSettings settings, ILogger<SyncJobSweeper> log)
{
    public async Task<int> SweepAsync(Func<LapsedJob, CancellationToken, Task<bool>>? runnerAlive = null, CancellationToken ct = default)
    {
        var lapsed = (await db.ReadAsync(c => c.QueryAsync<(Guid, Guid, string, DateTime)>("""
            SELECT id, org_id, type, heartbeat_at FROM sync_jobs
            WHERE status IN ('queued', 'running') AND heartbeat_at < now() - @lease ORDER BY heartbeat_at LIMIT 100
            """, new { lease = settings.Sync.Lease }), ct)).Select(r => new LapsedJob(r.Item1, r.Item2, r.Item3, r.Item4)).ToList();
        var ended = 0;
        foreach (var job in lapsed)
        {
            if (runnerAlive is not null && await runnerAlive(job, ct))
            {
                await db.ReadAsync(c => SyncJobStore.HeartbeatAsync(c, job.Id), ct);
                continue;
            }
            var reason = $"The {job.Type} sync's runner stopped without finishing (no heartbeat since {job.HeartbeatAt:u}): "
                + "the host was stopped or the job could not be scheduled. Nothing more is written for this job; start a new sync.";
            // Fenced on the lapse itself: a runner that beat in the meantime keeps its job.
            var failed = await db.InTransactionAsync(async (c, tx) =>
            {
                // With its sync:error event (the INSERT's count is the UPDATE's: one event per job ended).
                var n = await c.ExecuteAsync($"""
                    WITH changed AS (
                        UPDATE sync_jobs SET status = 'failed', completed_at = now(), started_at = coalesce(started_at, now()), error = @reason
                        WHERE id = @Id AND status IN ('queued', 'running') AND heartbeat_at < now() - @lease
                        RETURNING org_id, id, type, stats, error)
                    {Events.ChangeEvents.JobEvent("changed", Events.ChangeEvents.JobFailed)}
                    """, new { job.Id, reason, lease = settings.Sync.Lease }, tx);
                if (n == 1) await c.ExecuteAsync("DELETE FROM sync_job_items WHERE job_id = @Id", new { job.Id }, tx);
                return n;
            }, ct);
            if (failed == 0) continue;
            ended++;
            log.LogWarning("Sync job {JobId} ({Type}) of organization {OrgId} ended: no heartbeat since {HeartbeatAt:u}", job.Id, job.Type, job.OrgId, job.HeartbeatAt);
        }
        return ended;
    }
}

/// <summary>Standalone: sweeps lapsed sync jobs every Sync:SweepIntervalSeconds (the Functions app uses a TimerTrigger).</summary>
public sealed class SyncJobSweeperService(SyncJobSweeper sweeper, ServerSettings settings, ILogger<SyncJobSweeperService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(settings.Sync.SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
                try { await sweeper.SweepAsync(null, stop); }
                catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning(e, "Sync job sweep failed"); }
        }
        catch (OperationCanceledException) { }
    }
}
