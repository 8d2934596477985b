using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>
/// What every queue trigger does with a message. A push message runs the processor; when processing fails (the database,
/// a bug: AIMS answers are the jobs' own retries, recorded in the outbox) the message is sent again as a new copy,
/// delayed by <see cref="Backoff"/>, and after Sync:MessageMaxDeliveries it goes to the poison queue. Poison means only
/// "this message could not be processed": no job is failed for it; the jobs stay open in the outbox, where the sweeper
/// finds them again. The poison handler never throws, so nothing lands in a second poison queue.
/// </summary>
public sealed class PushConsumer(PushProcessor processor, IPushQueue queue, Db db, ServerSettings settings, ILogger<PushConsumer> log)
{
    public const string PoisonAuditAction = "sync_message_poisoned";
    private readonly SyncOptions _o = settings.Sync;

    /// <summary>
    /// Handles one delivery (dequeueCount: the queue's count for this copy). Throws only on a body that is not a push
    /// message, or when the queue cannot take the delayed copy: then the queue's own redelivery decides.
    /// </summary>
    public async Task HandleAsync(string body, long dequeueCount, CancellationToken ct = default)
    {
        var m = PushMessage.TryParse(body) ?? throw new InvalidDataException("The message is not a push message {orgId, jobId}.");
        try
        {
            await processor.ProcessOrganizationAsync(m.OrgId, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            var delivery = m.Attempt + (int)Math.Max(1, dequeueCount);
            if (delivery >= _o.MessageMaxDeliveries)
            {
                log.LogError(e, "Push message for organization {OrgId} failed {Deliveries} times; moved to the poison queue", m.OrgId, delivery);
                await queue.SendPoisonAsync(m with { Attempt = delivery }, ct);
                return;
            }
            var delay = Backoff(delivery);
            log.LogWarning(e, "Push message for organization {OrgId} failed (delivery {Delivery}); sent again in {Delay}", m.OrgId, delivery, delay);
            await queue.SendAsync(m with { Attempt = delivery }, delay, ct);
        }
    }

    /// <summary>The pause after the given failed delivery: base·2^(delivery-1), capped.</summary>
    public TimeSpan Backoff(int delivery) =>
        TimeSpan.FromMilliseconds(Math.Min(_o.MessageRetryMax.TotalMilliseconds,
            _o.MessageRetryBase.TotalMilliseconds * Math.Pow(2, Math.Clamp(delivery - 1, 0, 30))));

    /// <summary>How long a message keeps being retried before it is poisoned (the sum of its pauses).</summary>
    public TimeSpan RetrySpan => TimeSpan.FromMilliseconds(Enumerable.Range(1, Math.Max(0, _o.MessageMaxDeliveries - 1)).Sum(d => Backoff(d).TotalMilliseconds));

    /// <summary>
    /// A poison message: logged and audited (best effort; the database may be why it failed). The organization's jobs
    /// stay open: the sweeper re-sends them once overdue. Never throws; answers false when the audit could not be written
    /// (Standalone then keeps the message for a later try; the Functions trigger lets it go, logged).
    /// </summary>
    public async Task<bool> HandlePoisonAsync(string body, CancellationToken ct = default)
    {
        var m = PushMessage.TryParse(body);
        if (m is null)
        {
            log.LogError("Unreadable poison message dropped: {Body}", body.Length > 200 ? body[..200] : body);
            return true;
        }
        log.LogError("Poison push message for organization {OrgId} (job {JobId}, {Attempt} deliveries); its jobs stay open for the sweeper",
            m.OrgId, m.JobId, m.Attempt);
        try
        {
            await db.InTransactionAsync((c, tx) => AuditLog.WriteAsync(c, tx, new AuditContext(m.OrgId, null, null, "sync-engine"),
                PoisonAuditAction, "organization", m.OrgId, null, new { jobId = m.JobId, deliveries = m.Attempt }), ct);
            return true;
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Could not audit the poison message for organization {OrgId}", m.OrgId);
            return false;
        }
    }
}
