using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Sync.Push;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// Standalone on Azurite (Queue:Provider = AzureStorage) over its own PostgreSQL, so stopping it leaves other test
/// classes alone. The message backoff is the production schedule scaled down (base 300 ms instead of 1 s, cap 10 s
/// instead of 60 s, 8 deliveries: about 29 s of retries) and so is the outage (20 s instead of 60 s); the deliveries
/// are real Azurite visibility delays.
/// </summary>
public sealed class AzureOutageSyncApp : SyncApp
{
    public PostgresServer Server { get; private set; } = null!;
    protected override bool UseAzureStorage => true;
    protected override Task<PostgresServer> ServerAsync() => Task.FromResult(Server);

    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings =>
    [
        .. base.ExtraSettings,
        new("Sync:MessageRetryBaseMilliseconds", "300"),
        new("Sync:MessageRetryMaxSeconds", "10"),
        new("Sync:MessageMaxDeliveries", "8"),
    ];

    public override async Task InitializeAsync()
    {
        Server = await PostgresServer.StartDedicatedAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Server.DisposeAsync();
    }
}

public sealed class DatabaseOutagePushTests(AzureOutageSyncApp app) : IClassFixture<AzureOutageSyncApp>
{
    [Fact]
    public async Task A_database_outage_while_messages_flow_poisons_nothing_and_every_change_is_pushed_after()
    {
        var org = await app.CreateSyncedOrgAsync();
        var ids = Enumerable.Range(0, 30).Select(i => $"DB{Guid.NewGuid():N}"[..12] + i).ToList();
        // The first push is still waiting for AIMS when the database goes: its outcome cannot be recorded either.
        app.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "POST", Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(2) });
        foreach (var id in ids) await org.Admin.CreateSpaceAsync(id);

        // What reaches the poison queue meanwhile (the count includes messages hidden while a handler holds them).
        var poisonQueue = new Azure.Storage.Queues.QueueClient(app.Azurite!.ConnectionString, PushQueueNames.Poison);
        await poisonQueue.CreateIfNotExistsAsync();
        var poisoned = 0;
        using var watching = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                poisoned = Math.Max(poisoned, (await poisonQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
                await Task.Delay(250);
            }
        });

        await app.Server.StopServerAsync();
        try
        {
            // Each commit's message (and each re-sent copy) is delivered while the database is down.
            await Task.Delay(TimeSpan.FromSeconds(20));
            // AIMS is unreachable for a while after the database returns, so the jobs are still open when anything
            // poisoned meanwhile would be handled (a poisoned message used to dead-letter its job).
            app.Aims.Faults.Add(new FaultRule { RouteContains = "", Kind = FaultKind.Drop, Remaining = int.MaxValue });
        }
        finally
        {
            await app.Server.RestartServerAsync();
        }
        await Task.Delay(TimeSpan.FromSeconds(8));
        app.Aims.Faults.Clear();

        await app.WaitDrainedAsync(org.OrgId, 60_000);
        watching.Cancel();
        await watch;
        Assert.Equal(0, poisoned);
        Assert.All(ids, id => Assert.NotNull(app.Article(id)));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @OrgId AND status = 'dead'", new { org.OrgId }));
        Assert.Equal(ids.Count, await app.CountAsync(
            "SELECT count(*) FROM spaces WHERE org_id = @OrgId AND sync_status = 'synced'", new { org.OrgId }));
        // A message poisoned while the database was down is audited once it is back (Standalone keeps it until then).
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = @a",
            new { org.OrgId, a = PushConsumer.PoisonAuditAction }));
    }
}
