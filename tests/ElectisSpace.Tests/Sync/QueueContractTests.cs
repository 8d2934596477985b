using ElectisSpace.Core.Sync;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// ONE contract for the push queue, run against both providers: Azure Storage (Azure.Storage.Queues on a real Azurite)
/// and PostgreSQL (the outbox rows themselves). Messages name real outbox jobs so both providers can carry them.
/// </summary>
public abstract class QueueContractTests(SyncApp app)
{
    private static readonly TimeSpan Visibility = TimeSpan.FromSeconds(1);
    protected abstract IPushQueue Queue { get; }

    /// <summary>A real open job (for PostgreSQL the job row is the message) sent as a message.</summary>
    private async Task<PushMessage> SendNewAsync(TimeSpan delay = default)
    {
        var org = await app.CreateOrgAsync();
        var space = await org.Admin.CreateSpaceAsync($"Q{Guid.NewGuid():N}"[..16]);
        var jobId = await app.Db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<Guid>(c,
            "SELECT id FROM sync_queue WHERE org_id = @o AND entity_id = @e", new { o = org.OrgId, e = space.Id() }));
        var m = new PushMessage(org.OrgId, jobId);
        await Queue.SendAsync(m, delay);
        return m;
    }

    /// <summary>Receives until the message shows up (other test's messages are skipped over and left alone).</summary>
    private async Task<ReceivedPush?> ReceiveAsync(PushMessage m, int timeoutMs = 4000, bool poison = false)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < until)
        {
            var got = poison ? await Queue.ReceivePoisonAsync(32, Visibility) : await Queue.ReceiveAsync(32, Visibility);
            if (got.FirstOrDefault(r => r.Message == m) is { } hit) return hit;
            await Task.Delay(100);
        }
        return null;
    }

    [Fact]
    public async Task A_message_is_delivered_hidden_while_worked_on_and_again_if_not_deleted_with_a_higher_dequeue_count()
    {
        var m = await SendNewAsync();
        var first = await ReceiveAsync(m);
        Assert.NotNull(first);
        Assert.Equal(1, first.DequeueCount);
        // The consumer "dies" here without deleting: nothing is lost, the message comes back after its visibility timeout.
        Assert.Null(await ReceiveAsync(m, timeoutMs: 500));
        var second = await ReceiveAsync(m);
        Assert.NotNull(second);
        Assert.Equal(2, second.DequeueCount);
        await Queue.DeleteAsync(second);
        Assert.Null(await ReceiveAsync(m, timeoutMs: 2500));
    }

    [Fact]
    public async Task A_delayed_message_stays_invisible_until_its_time()
    {
        var m = await SendNewAsync(TimeSpan.FromSeconds(2));
        Assert.Null(await ReceiveAsync(m, timeoutMs: 1200));
        var got = await ReceiveAsync(m, timeoutMs: 4000);
        Assert.NotNull(got);
        await Queue.DeleteAsync(got);
    }

    [Fact]
    public async Task A_released_message_comes_back_after_the_delay()
    {
        var m = await SendNewAsync();
        var got = (await ReceiveAsync(m))!;
        await Queue.ReleaseAsync(got, TimeSpan.Zero);
        var again = await ReceiveAsync(m, timeoutMs: 2000);
        Assert.NotNull(again);
        Assert.Equal(2, again.DequeueCount);
        await Queue.DeleteAsync(again);
    }

    [Fact]
    public async Task After_max_dequeue_count_a_message_moves_to_the_poison_queue()
    {
        const int maxDequeueCount = 3;
        var m = await SendNewAsync();
        ReceivedPush? got = null;
        for (var i = 1; i <= maxDequeueCount; i++)
        {
            got = await ReceiveAsync(m);
            Assert.NotNull(got);
            Assert.Equal(i, got.DequeueCount);
            await Queue.ReleaseAsync(got, TimeSpan.Zero); // processing failed
        }
        await Queue.MoveToPoisonAsync((await ReceiveAsync(m))!);
        Assert.Null(await ReceiveAsync(m, timeoutMs: 1500));
        var poisoned = await ReceiveAsync(m, poison: true);
        Assert.NotNull(poisoned);
        await Queue.DeletePoisonAsync(poisoned);
        Assert.Null(await ReceiveAsync(m, timeoutMs: 1500, poison: true));
    }
}

public sealed class PostgresQueueContractTests(ManualPostgresSyncApp app) : QueueContractTests(app), IClassFixture<ManualPostgresSyncApp>
{
    protected override IPushQueue Queue { get; } = new PostgresPushQueue(app.Db);
}

public sealed class AzureStorageQueueContractTests(ManualSyncApp app) : QueueContractTests(app), IClassFixture<ManualSyncApp>
{
    protected override IPushQueue Queue { get; } = new AzurePushQueue(app.Azurite!.ConnectionString, QueueHostSettings.Default.MessageEncoding, $"contract-{Guid.NewGuid():N}"[..20]);
}

/// <summary>host.json's extensions.queues.messageEncoding is the one place the queue body encoding is set: the Functions
/// triggers decode with it, and AzurePushQueue (both hosts' sender, Standalone's listener) encodes with it.</summary>
public sealed class AzurePushQueueEncodingTests(ManualSyncApp app) : IClassFixture<ManualSyncApp>
{
    [Theory]
    [InlineData("base64")]
    [InlineData("none")]
    public async Task Bodies_go_on_the_wire_in_the_encoding_host_json_names(string messageEncoding)
    {
        var hostJson = Path.Combine(Path.GetTempPath(), $"host-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(hostJson, $$"""{ "version": "2.0", "extensions": { "queues": { "messageEncoding": "{{messageEncoding}}" } } }""");
        var encoding = QueueHostSettings.Load(hostJson).MessageEncoding;
        File.Delete(hostJson);

        var name = $"enc-{Guid.NewGuid():N}"[..20];
        var message = new PushMessage(Guid.NewGuid(), Guid.NewGuid());
        await new AzurePushQueue(app.Azurite!.ConnectionString, encoding, name).SendAsync(message);

        var wire = (await new Azure.Storage.Queues.QueueClient(app.Azurite.ConnectionString, name).PeekMessagesAsync(1)).Value.Single().Body.ToString();
        Assert.Equal(messageEncoding == "base64" ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(message.ToJson())) : message.ToJson(), wire);
    }

    [Fact]
    public void An_unknown_message_encoding_in_host_json_stops_start_up_with_its_name()
    {
        var hostJson = Path.Combine(Path.GetTempPath(), $"host-{Guid.NewGuid():N}.json");
        File.WriteAllText(hostJson, """{ "version": "2.0", "extensions": { "queues": { "messageEncoding": "utf8" } } }""");
        try { Assert.Contains("messageEncoding", Assert.Throws<InvalidOperationException>(() => QueueHostSettings.Load(hostJson)).Message); }
        finally { File.Delete(hostJson); }
    }
}
