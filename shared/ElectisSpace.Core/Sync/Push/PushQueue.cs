using Azure.Identity;
using Azure.Storage.Queues;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>
/// "Organization X has AIMS work, starting at job J": what travels on the aims-push queue. Attempt counts the failed
/// deliveries of earlier copies (a failed message is sent again as a new copy, delayed: see PushConsumer).
/// </summary>
public sealed record PushMessage(Guid OrgId, Guid JobId, int Attempt = 0)
{
    public string ToJson() => Json.Serialize(this);

    /// <summary>The message, or null when the body is not one (such a message can only end in the poison queue).</summary>
    public static PushMessage? TryParse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            var m = JsonSerializer.Deserialize<PushMessage>(body, Json.Options);
            return m is { OrgId: var o, JobId: var j } && o != Guid.Empty && j != Guid.Empty ? m : null;
        }
        catch (JsonException) { return null; }
    }
}

/// <summary>A received message: its body, how often it has been delivered, and the receipt needed to delete it.</summary>
public sealed record ReceivedPush(string Body, long DequeueCount, string MessageId, string Receipt)
{
    public PushMessage? Message => PushMessage.TryParse(Body);
}

/// <summary>
/// The push queue contract, met by Azure Storage queues (Functions, or Standalone with Queue:Provider = AzureStorage) and by
/// the PostgreSQL outbox itself (Standalone's default). At-least-once: a received message comes back after its visibility
/// timeout unless deleted, with a higher dequeue count; a consumer moves it to the poison queue after maxDequeueCount.
/// </summary>
public interface IPushQueue
{
    Task SendAsync(PushMessage message, TimeSpan delay = default, CancellationToken ct = default);
    Task<IReadOnlyList<ReceivedPush>> ReceiveAsync(int max, TimeSpan visibility, CancellationToken ct = default);
    Task DeleteAsync(ReceivedPush message, CancellationToken ct = default);
    /// <summary>Gives a received message back, visible again after the delay (a failed processing, as host.json's visibilityTimeout).</summary>
    Task ReleaseAsync(ReceivedPush message, TimeSpan delay, CancellationToken ct = default);
    Task MoveToPoisonAsync(ReceivedPush message, CancellationToken ct = default);
    /// <summary>Puts a message given up on into the poison queue (the consumer's last failed delivery).</summary>
    Task SendPoisonAsync(PushMessage message, CancellationToken ct = default);
    Task<IReadOnlyList<ReceivedPush>> ReceivePoisonAsync(int max, TimeSpan visibility, CancellationToken ct = default);
    Task DeletePoisonAsync(ReceivedPush message, CancellationToken ct = default);
}

/// <summary>
/// Azure Storage queues aims-push and aims-push-poison (<see cref="PushQueueNames"/>). Bodies are encoded as host.json's
/// extensions.queues.messageEncoding says (<see cref="QueueHostSettings"/>), which is how the Functions queue triggers decode them.
/// </summary>
public sealed class AzurePushQueue : IPushQueue
{
    private readonly QueueClient _queue;
    private readonly QueueClient _poison;
    private volatile bool _created;

    public AzurePushQueue(string connection, QueueMessageEncoding encoding, string queueName = PushQueueNames.Push)
    {
        var options = new QueueClientOptions { MessageEncoding = encoding };
        // Identity-based form (AzureWebJobsStorage__queueServiceUri): a URI instead of a connection string.
        if (Uri.TryCreate(connection, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http")
        {
            var service = new QueueServiceClient(uri, new DefaultAzureCredential(), options);
            (_queue, _poison) = (service.GetQueueClient(queueName), service.GetQueueClient(PushQueueNames.PoisonOf(queueName)));
        }
        else
        {
            (_queue, _poison) = (new QueueClient(connection, queueName, options), new QueueClient(connection, PushQueueNames.PoisonOf(queueName), options));
        }
    }

    private async Task EnsureAsync(CancellationToken ct)
    {
        if (_created) return;
        await _queue.CreateIfNotExistsAsync(cancellationToken: ct);
        await _poison.CreateIfNotExistsAsync(cancellationToken: ct);
        _created = true;
    }

    /// <summary>Runs a call, creating the queues first and again if they vanished (a storage account reset, an emulator restart).</summary>
    private async Task<T> WithQueuesAsync<T>(Func<Task<T>> call, CancellationToken ct)
    {
        await EnsureAsync(ct);
        try { return await call(); }
        catch (Azure.RequestFailedException e) when (e.ErrorCode == "QueueNotFound")
        {
            _created = false;
            await EnsureAsync(ct);
            return await call();
        }
    }

    public Task SendAsync(PushMessage message, TimeSpan delay = default, CancellationToken ct = default) =>
        WithQueuesAsync(async () => await _queue.SendMessageAsync(message.ToJson(), delay > TimeSpan.Zero ? delay : null, cancellationToken: ct), ct);

    public Task<IReadOnlyList<ReceivedPush>> ReceiveAsync(int max, TimeSpan visibility, CancellationToken ct = default) =>
        ReceiveFromAsync(_queue, max, visibility, ct);

    public async Task DeleteAsync(ReceivedPush message, CancellationToken ct = default) =>
        await _queue.DeleteMessageAsync(message.MessageId, message.Receipt, ct);

    public async Task ReleaseAsync(ReceivedPush message, TimeSpan delay, CancellationToken ct = default) =>
        await _queue.UpdateMessageAsync(message.MessageId, message.Receipt, visibilityTimeout: delay, cancellationToken: ct);

    public async Task MoveToPoisonAsync(ReceivedPush message, CancellationToken ct = default)
    {
        await WithQueuesAsync(async () => await _poison.SendMessageAsync(message.Body, cancellationToken: ct), ct);
        await _queue.DeleteMessageAsync(message.MessageId, message.Receipt, ct);
    }

    public Task SendPoisonAsync(PushMessage message, CancellationToken ct = default) =>
        WithQueuesAsync(async () => await _poison.SendMessageAsync(message.ToJson(), cancellationToken: ct), ct);

    public Task<IReadOnlyList<ReceivedPush>> ReceivePoisonAsync(int max, TimeSpan visibility, CancellationToken ct = default) =>
        ReceiveFromAsync(_poison, max, visibility, ct);

    public async Task DeletePoisonAsync(ReceivedPush message, CancellationToken ct = default) =>
        await _poison.DeleteMessageAsync(message.MessageId, message.Receipt, ct);

    private Task<IReadOnlyList<ReceivedPush>> ReceiveFromAsync(QueueClient q, int max, TimeSpan visibility, CancellationToken ct) =>
        WithQueuesAsync<IReadOnlyList<ReceivedPush>>(async () =>
        {
            var answer = await q.ReceiveMessagesAsync(Math.Clamp(max, 1, 32), visibility, ct);
            return answer.Value.Select(m => new ReceivedPush(m.Body.ToString(), m.DequeueCount, m.MessageId, m.PopReceipt)).ToList();
        }, ct);
}

/// <summary>
/// The outbox as its own queue: each open sync_queue row is a message (visible at msg_visible_at). Receiving hides it for
/// the visibility timeout and counts the delivery; deleting it (or finishing the job) ends it; poisoning sets poisoned_at,
/// which is then the poison message's own visibility. Needs nothing but PostgreSQL.
/// </summary>
public sealed class PostgresPushQueue(Db db) : IPushQueue
{
    public Task SendAsync(PushMessage message, TimeSpan delay = default, CancellationToken ct = default) =>
        db.ReadAsync(c => c.ExecuteAsync("""
            UPDATE sync_queue SET msg_visible_at = now() + @delay, msg_receipt = NULL, dequeue_count = @Attempt, poisoned_at = NULL
            WHERE id = @JobId AND org_id = @OrgId AND status IN ('pending', 'processing')
            """, new { message.JobId, message.OrgId, message.Attempt, delay = delay < TimeSpan.Zero ? TimeSpan.Zero : delay }), ct);

    // The row is the message: its dequeue count already carries the earlier copies' attempts (SendAsync keeps them).
    public Task SendPoisonAsync(PushMessage message, CancellationToken ct = default) =>
        db.ReadAsync(c => c.ExecuteAsync("""
            UPDATE sync_queue SET msg_visible_at = NULL, msg_receipt = NULL, poisoned_at = now()
            WHERE id = @JobId AND org_id = @OrgId AND status IN ('pending', 'processing')
            """, message), ct);

    public Task<IReadOnlyList<ReceivedPush>> ReceiveAsync(int max, TimeSpan visibility, CancellationToken ct = default) =>
        ReceiveWhereAsync("msg_visible_at", max, visibility, "dequeue_count = q.dequeue_count + 1", ct);

    public Task DeleteAsync(ReceivedPush message, CancellationToken ct = default) =>
        UpdateByReceiptAsync("msg_visible_at = NULL", message, ct);

    public Task ReleaseAsync(ReceivedPush message, TimeSpan delay, CancellationToken ct = default) =>
        db.ReadAsync(c => c.ExecuteAsync("UPDATE sync_queue SET msg_visible_at = now() + @delay WHERE id = @id AND msg_receipt = @receipt",
            new { delay, id = Guid.Parse(message.MessageId), receipt = Guid.Parse(message.Receipt) }), ct);

    public Task MoveToPoisonAsync(ReceivedPush message, CancellationToken ct = default) =>
        UpdateByReceiptAsync("msg_visible_at = NULL, poisoned_at = now(), msg_receipt = NULL", message, ct);

    public Task<IReadOnlyList<ReceivedPush>> ReceivePoisonAsync(int max, TimeSpan visibility, CancellationToken ct = default) =>
        ReceiveWhereAsync("poisoned_at", max, visibility, "dequeue_count = q.dequeue_count", ct);

    public Task DeletePoisonAsync(ReceivedPush message, CancellationToken ct = default) =>
        UpdateByReceiptAsync("poisoned_at = NULL", message, ct);

    private async Task<IReadOnlyList<ReceivedPush>> ReceiveWhereAsync(string visibleColumn, int max, TimeSpan visibility, string count, CancellationToken ct)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<(Guid Id, Guid OrgId, int DequeueCount, Guid Receipt)>($"""
            UPDATE sync_queue q SET {visibleColumn} = now() + @visibility, {count}, msg_receipt = gen_random_uuid()
            FROM (SELECT id FROM sync_queue WHERE {visibleColumn} <= now() ORDER BY {visibleColumn}, seq LIMIT @max FOR UPDATE SKIP LOCKED) c
            WHERE q.id = c.id
            RETURNING q.id, q.org_id, q.dequeue_count, q.msg_receipt
            """, new { max, visibility }), ct);
        return rows.Select(r => new ReceivedPush(new PushMessage(r.OrgId, r.Id).ToJson(), r.DequeueCount, r.Id.ToString(), r.Receipt.ToString())).ToList();
    }

    private Task UpdateByReceiptAsync(string set, ReceivedPush m, CancellationToken ct) =>
        db.ReadAsync(c => c.ExecuteAsync($"UPDATE sync_queue SET {set} WHERE id = @id AND msg_receipt = @receipt",
            new { id = Guid.Parse(m.MessageId), receipt = Guid.Parse(m.Receipt) }), ct);
}
