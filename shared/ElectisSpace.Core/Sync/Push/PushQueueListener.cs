using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>
/// Standalone's queue listener, with the Functions queue trigger's semantics from host.json: batch receive (batchSize),
/// a message hidden while worked on, deleted once the consumer has handled it (a failed processing is re-sent delayed by
/// the consumer itself), released for visibilityTimeout when the consumer throws (unreadable body, queue unreachable),
/// moved to the poison queue once its dequeue count reaches maxDequeueCount, and poison messages handed to the consumer
/// (the Functions poison trigger's job).
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
                await consumer.HandleAsync(alive[0].Body, alive.Max(m => m.DequeueCount), ct);
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
            // Kept (visible again after the lease) when it could not be audited yet.
            if (await consumer.HandlePoisonAsync(m.Body, ct)) await queue.DeletePoisonAsync(m, ct);
        }
        return received.Count + poison.Count;
    }
}
