using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>
/// The sweeper (timer): re-sends one message per organization whose jobs were never sent, are overdue, or lost their
/// worker (lease expired), so a crash or a queue outage between commit and send loses nothing; purges old completed rows
/// and expired Idempotency-Key answers, and folds the counters' shard rows.
/// </summary>
public sealed class PushSweeper(Db db, IPushQueue queue, ServerSettings settings, TimeProvider time, ILogger<PushSweeper> log)
{
    private long _lastSweep = long.MinValue;

    /// <summary>
    /// The Functions timer: it ticks more often than any useful interval (Flex Consumption takes only a CRON schedule,
    /// which a binding expression cannot compute from seconds); a sweep runs when Sync:SweepIntervalSeconds has passed
    /// since this instance's last one. Answers null when it was not due.
    /// </summary>
    public async Task<int?> SweepIfDueAsync(CancellationToken ct = default)
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastSweep);
        if (last != long.MinValue && time.GetElapsedTime(last, now) < settings.Sync.SweepInterval) return null;
        if (Interlocked.CompareExchange(ref _lastSweep, now, last) != last) return null; // another tick took it
        return await SweepAsync(ct);
    }

    public async Task<int> SweepAsync(CancellationToken ct = default)
    {
        var o = settings.Sync;
        // Organization by organization, so each one's old rows are one range of sync_queue_done_idx (org_id, processed_at).
        var purged = await db.ReadAsync(c => c.ExecuteAsync("""
            DELETE FROM sync_queue q USING organizations g
            WHERE q.org_id = g.id AND q.status IN ('completed', 'failed') AND q.processed_at < now() - @retention
            """, new { retention = o.Retention }), ct);
        // Answers kept under Idempotency-Keys past their retention (a claim's expiry covers its lease too).
        purged += await db.ReadAsync(c => c.ExecuteAsync("DELETE FROM idempotency_keys WHERE expires_at < now()"), ct);
        // Live-update events older than the resume window, and expired stream tickets (Events/EventHub).
        await db.ReadAsync(c => Events.EventHub.PurgeAsync(c, settings.Events.Retention), ct);
        // The same timer keeps the write counters' shard rows few (one per backend that wrote since; migration 0016).
        await db.ReadAsync(c => c.ExecuteAsync("SELECT fold_counter_shards()"), ct);
        var heads = await db.ReadAsync(c => c.QueryAsync<(Guid OrgId, Guid JobId)>("""
            WITH overdue AS (
                UPDATE sync_queue SET dispatched_at = now()
                WHERE (status = 'pending' AND scheduled_at <= now() - @grace AND (dispatched_at IS NULL OR dispatched_at <= now() - @grace)
                       OR status = 'processing' AND locked_until < now())
                  AND poisoned_at IS NULL
                RETURNING org_id, id, seq)
            SELECT DISTINCT ON (org_id) org_id, id FROM overdue ORDER BY org_id, seq
            """, new { grace = o.SweepInterval }), ct);
        var sent = 0;
        foreach (var (orgId, jobId) in heads)
        {
            await queue.SendAsync(new PushMessage(orgId, jobId), default, ct);
            sent++;
        }
        if (sent > 0 || purged > 0) log.LogInformation("Sweeper: {Sent} organizations re-sent, {Purged} old rows purged", sent, purged);
        return sent;
    }
}
