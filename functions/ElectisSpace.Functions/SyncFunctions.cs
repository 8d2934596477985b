using ElectisSpace.Core.Sync;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Functions;

/// <summary>
/// The push engine's triggers (thin: each hands over to shared/). A failed processing is re-sent delayed by the consumer
/// (backoff); the Functions runtime moves a message to aims-push-poison only after host.json's maxDequeueCount deliveries
/// that threw (unreadable, or the queue unreachable); the sweeper re-sends what was never sent or is overdue.
/// </summary>
public sealed class SyncFunctions(PushConsumer consumer, PushSweeper sweeper)
{
    [Function("Sync_Push")]
    public Task Push([QueueTrigger(PushQueueNames.Push, Connection = "AzureWebJobsStorage")] QueueMessage message, CancellationToken ct) =>
        consumer.HandleAsync(message.Body.ToString(), message.DequeueCount, ct);

    [Function("Sync_PushPoison")]
    public Task PushPoison([QueueTrigger(PushQueueNames.Poison, Connection = "AzureWebJobsStorage")] string message, CancellationToken ct) =>
        consumer.HandlePoisonAsync(message, ct); // never throws: nothing reaches aims-push-poison-poison

    /// <summary>Ticks every 5 seconds; sweeps every Sync:SweepIntervalSeconds (see PushSweeper.SweepIfDueAsync).</summary>
    [Function("Sync_Sweep")]
    public Task Sweep([TimerTrigger("*/5 * * * * *")] TimerInfo timer, CancellationToken ct) => sweeper.SweepIfDueAsync(ct);
}
