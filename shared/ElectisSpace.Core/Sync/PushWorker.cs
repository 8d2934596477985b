using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync;

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

/// <summary>What every queue trigger does with a message: the aims-push body runs the processor; a poison body dead-letters.</summary>
public sealed class PushConsumer(PushProcessor processor, Db db, ILogger<PushConsumer> log)
{
    /// <summary>Throws on a body that is not a push message (it can only end in the poison queue).</summary>
    public Task<int> HandleAsync(string body, CancellationToken ct = default) =>
        PushMessage.TryParse(body) is { } m ? processor.ProcessOrganizationAsync(m.OrgId, ct)
            : throw new InvalidDataException("The message is not a push message {orgId, jobId}.");

    public async Task<bool> HandlePoisonAsync(string body, CancellationToken ct = default)
    {
        var m = PushMessage.TryParse(body);
        if (m is null) log.LogError("Unreadable poison message dropped: {Body}", body.Length > 200 ? body[..200] : body);
        return await DeadLetters.FromPoisonAsync(db, m, "The push worker failed on this job's message too many times (poison queue).", ct);
    }
}

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

/// <summary>
/// The sweeper (timer): re-sends one message per organization whose jobs were never sent, are overdue, or lost their
/// worker (lease expired), so a crash or a queue outage between commit and send loses nothing; purges old completed rows
/// and folds the counters' shard rows.
/// </summary>
public sealed class PushSweeper(Db db, IPushQueue queue, ServerSettings settings, ILogger<PushSweeper> log)
{
    public async Task<int> SweepAsync(CancellationToken ct = default)
    {
        var o = settings.Sync;
        // Organization by organization, so each one's old rows are one range of sync_queue_done_idx (org_id, processed_at).
        var purged = await db.ReadAsync(c => c.ExecuteAsync("""
            DELETE FROM sync_queue q USING organizations g
            WHERE q.org_id = g.id AND q.status IN ('completed', 'failed') AND q.processed_at < now() - @retention
            """, new { retention = o.Retention }), ct);
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

/// <summary>
/// Standalone's queue listener, with the Functions queue trigger's semantics from host.json: batch receive (batchSize),
/// a message hidden while worked on, released for visibilityTimeout after a failure, moved to the poison queue once
/// its dequeue count reaches maxDequeueCount, and poison messages dead-lettered (the Functions poison trigger's job).
/// </summary>
public sealed class PushQueueListener(IPushQueue queue, PushConsumer consumer, QueueHostSettings host, PushSignal signal,
    ServerSettings settings, ILogger<PushQueueListener> log) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var n = await RunOnceAsync(stop);
                if (n == 0) await signal.WaitAsync(Poll, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                log.LogWarning(e, "Push queue receive failed; retrying");
                try { await Task.Delay(TimeSpan.FromSeconds(1), stop); } catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>One receive of up to batchSize messages (and of poison messages); answers how many were handled.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        // Hidden while worked on for the job lease (the Functions runtime renews its own); host.json's visibilityTimeout
        // is the pause before a failed message is tried again.
        var visibility = settings.Sync.Lease;
        var received = await queue.ReceiveAsync(host.BatchSize, visibility, ct);
        // Messages of one organization need one processor run.
        foreach (var group in received.GroupBy(m => m.Message?.OrgId))
        {
            var alive = group.Where(m => m.DequeueCount <= host.MaxDequeueCount).ToList();
            foreach (var m in group.Except(alive)) await queue.MoveToPoisonAsync(m, ct);
            if (alive.Count == 0) continue;
            try
            {
                await consumer.HandleAsync(alive[0].Body, ct);
                foreach (var m in alive) await queue.DeleteAsync(m, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                log.LogWarning(e, "Push message failed (dequeue count {Count})", alive[0].DequeueCount);
                foreach (var m in alive)
                    if (m.DequeueCount >= host.MaxDequeueCount) await queue.MoveToPoisonAsync(m, ct);
                    else await queue.ReleaseAsync(m, host.VisibilityTimeout, ct);
            }
        }
        var poison = await queue.ReceivePoisonAsync(host.BatchSize, visibility, ct);
        foreach (var m in poison)
        {
            await consumer.HandlePoisonAsync(m.Body, ct);
            await queue.DeletePoisonAsync(m, ct);
        }
        return received.Count + poison.Count;
    }
}
