using ElectisSpace.Core.Sync;
using Microsoft.Azure.Functions.Worker;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Functions;

/// <summary>
/// The push engine's triggers (thin: each hands over to shared/). The Functions runtime moves a message to aims-push-poison
/// after host.json's maxDequeueCount failed deliveries; the sweeper re-sends what was never sent or is overdue.
/// </summary>
public sealed class SyncFunctions(PushConsumer consumer, PushSweeper sweeper)
{
    [Function("Sync_Push")]
    public Task Push([QueueTrigger(PushQueueNames.Push, Connection = "AzureWebJobsStorage")] string message, CancellationToken ct) =>
        consumer.HandleAsync(message, ct);

    [Function("Sync_PushPoison")]
    public Task PushPoison([QueueTrigger(PushQueueNames.Poison, Connection = "AzureWebJobsStorage")] string message, CancellationToken ct) =>
        consumer.HandlePoisonAsync(message, ct);

    [Function("Sync_Sweep")]
    public Task Sweep([TimerTrigger("*/30 * * * * *")] TimerInfo timer, CancellationToken ct) => sweeper.SweepAsync(ct);
}
