using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>
/// After commit (<see cref="OutboxCommits"/>): sends the organization's new jobs to the queue (Azure Storage) or wakes the
/// in-process listener (PostgreSQL, where the row already is the message). The sweeper covers anything missed.
/// </summary>
public sealed class PushDispatch(Db db, IPushQueue queue, PushSignal signal, ServerSettings settings)
{
    public async Task DispatchAsync(Guid orgId, CancellationToken ct = default)
    {
        if (settings.Sync.QueueProvider == QueueProvider.Postgres) { signal.Wake(); return; }
        var first = await db.ReadAsync(c => c.QueryFirstOrDefaultAsync<Guid?>("""
            WITH d AS (UPDATE sync_queue SET dispatched_at = now()
                       WHERE org_id = @orgId AND status = 'pending' AND dispatched_at IS NULL RETURNING id, seq)
            SELECT id FROM d ORDER BY seq LIMIT 1
            """, new { orgId }), ct);
        if (first is { } jobId) await queue.SendAsync(new PushMessage(orgId, jobId), default, ct);
    }
}
