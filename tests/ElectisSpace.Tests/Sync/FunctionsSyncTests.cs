using System.Text.Json;
using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Sync;
using ElectisSpace.Functions;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// The Functions app's queue, poison and timer functions, invoked directly with the services of its composition root
/// (FunctionsApp.ConfigureServices) over real PostgreSQL, Azurite and the AIMS emulator; and host.json's queue section.
/// </summary>
public sealed class FunctionsSyncTests(ManualSyncApp app) : IClassFixture<ManualSyncApp>, IAsyncLifetime
{
    private ServiceProvider _services = null!;
    private SyncFunctions Functions => ActivatorUtilities.CreateInstance<SyncFunctions>(_services);
    private IPushQueue Queue => _services.GetRequiredService<IPushQueue>();

    public Task InitializeAsync()
    {
        var settings = TestApp.DefaultSettings(app.ConnectionString);
        settings["AzureWebJobsStorage"] = app.Azurite!.ConnectionString;
        settings["Queue:Provider"] = "AzureStorage";
        settings["Sync:SweepIntervalSeconds"] = "1";
        settings["Sync:RetryBaseDelayMilliseconds"] = "50";
        settings["Aims:MaxRetries"] = "0";
        settings["Sync:MessageRetryBaseMilliseconds"] = "50";
        settings["Sync:MessageMaxDeliveries"] = "4";
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings!).Build();
        var services = new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        FunctionsApp.ConfigureServices(services, config);
        _services = services.BuildServiceProvider();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    /// <summary>The received message as the runtime binds it to the queue trigger.</summary>
    private static Azure.Storage.Queues.Models.QueueMessage Delivered(ReceivedPush r) =>
        Azure.Storage.Queues.Models.QueuesModelFactory.QueueMessage(r.MessageId, r.Receipt, new BinaryData(r.Body), r.DequeueCount);

    private static Azure.Storage.Queues.Models.QueueMessage Delivered(string body, long dequeueCount = 1) =>
        Azure.Storage.Queues.Models.QueuesModelFactory.QueueMessage("m", "r", new BinaryData(body), dequeueCount);

    private async Task<ReceivedPush> ReceiveForAsync(Guid orgId, bool poison = false)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until)
        {
            var got = poison ? await Queue.ReceivePoisonAsync(32, TimeSpan.FromSeconds(30)) : await Queue.ReceiveAsync(32, TimeSpan.FromSeconds(30));
            if (got.FirstOrDefault(r => r.Message?.OrgId == orgId) is { } hit) return hit;
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"no message for organization {orgId}");
    }

    [Fact]
    public async Task The_queue_function_pushes_what_the_post_commit_dispatch_sent()
    {
        var org = await app.CreateSyncedOrgAsync();
        var externalId = $"F{Guid.NewGuid():N}"[..16];
        var space = await org.Admin.CreateSpaceAsync(externalId);
        await _services.GetRequiredService<PushDispatch>().DispatchAsync(org.OrgId);

        var message = await ReceiveForAsync(org.OrgId);
        await Functions.Push(Delivered(message), CancellationToken.None);
        await Queue.DeleteAsync(message);

        Assert.NotNull(app.Article(externalId));
        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "synced", 2000);
    }

    [Fact]
    public async Task Work_committed_in_the_Functions_app_is_sent_to_the_queue_by_its_dispatcher_without_the_sweeper()
    {
        var org = await app.CreateSyncedOrgAsync();
        var hosted = _services.GetServices<IHostedService>().ToList();
        Assert.Contains(hosted, h => h is PushDispatcherService);
        foreach (var h in hosted) await h.StartAsync(CancellationToken.None);
        try
        {
            // A change as the HTTP functions commit it (Db, with its outbox row); the timer sweeper is never called here.
            var entityId = Guid.NewGuid();
            await _services.GetRequiredService<ElectisSpace.Core.Database.Db>().InTransactionAsync((c, tx) =>
                Outbox.EnqueueAsync(c, tx, org.OrgId, "space", entityId, SyncJobs.UpsertArticle));

            var message = await ReceiveForAsync(org.OrgId);
            var jobId = await app.Db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<Guid>(c,
                "SELECT id FROM sync_queue WHERE org_id = @o AND entity_id = @e AND dispatched_at IS NOT NULL", new { o = org.OrgId, e = entityId }));
            Assert.Equal(jobId, message.Message!.JobId);
            await Queue.DeleteAsync(message);
        }
        finally
        {
            foreach (var h in hosted) await h.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_poison_message_fails_no_job_it_is_audited_and_the_sweeper_pushes_its_organization_later()
    {
        var org = await app.CreateSyncedOrgAsync();
        var externalId = $"P{Guid.NewGuid():N}"[..16];
        var space = await org.Admin.CreateSpaceAsync(externalId);
        var jobId = await app.Db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<Guid>(c,
            "SELECT id FROM sync_queue WHERE org_id = @o AND entity_id = @e", new { o = org.OrgId, e = space.Id() }));

        // The message names the job, but the job did nothing wrong: poison says only that the message was not processed.
        await Functions.PushPoison(new PushMessage(org.OrgId, jobId, Attempt: 8).ToJson(), CancellationToken.None);

        Assert.Equal("pending", (await app.JobAsync(org.OrgId, space.Id(), "upsert_article")).Status);
        Assert.Equal("pending", (await SyncApp.GetAsync(org.Admin, $"/api/spaces/{space.Id()}")).GetProperty("syncStatus").GetString());
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = 'sync_failed'", new { org.OrgId }));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = @a",
            new { org.OrgId, a = PushConsumer.PoisonAuditAction }));
        Assert.Empty((await SyncApp.GetAsync(org.Admin, "/api/sync/dead-letters")).GetProperty("data").EnumerateArray());
        // An unreadable poison message is dropped (logged) without throwing.
        await Functions.PushPoison("not json", CancellationToken.None);

        // The job is still the sweeper's: once overdue it is sent again and pushed.
        await app.ExecAsync("UPDATE sync_queue SET scheduled_at = now() - interval '1 minute', dispatched_at = now() - interval '1 minute' WHERE org_id = @OrgId", new { org.OrgId });
        await Functions.Sweep(null!, CancellationToken.None);
        var message = await ReceiveForAsync(org.OrgId);
        await Functions.Push(Delivered(message), CancellationToken.None);
        await Queue.DeleteAsync(message);
        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "synced", 2000);
        Assert.NotNull(app.Article(externalId));
    }

    [Fact]
    public async Task The_poison_function_never_throws_even_when_the_database_is_unreachable()
    {
        // A poison trigger that throws would move its message to aims-push-poison-poison, which nothing watches.
        var settings = TestApp.DefaultSettings("Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=2");
        settings["AzureWebJobsStorage"] = app.Azurite!.ConnectionString;
        settings["Queue:Provider"] = "AzureStorage";
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings!).Build();
        await using var services = FunctionsApp.ConfigureServices(new ServiceCollection().AddLogging(), config).BuildServiceProvider();
        var functions = ActivatorUtilities.CreateInstance<SyncFunctions>(services);

        await functions.PushPoison(new PushMessage(Guid.NewGuid(), Guid.NewGuid(), Attempt: 8).ToJson(), CancellationToken.None);
        await functions.PushPoison("not json", CancellationToken.None);
    }

    [Fact]
    public async Task A_failed_processing_is_sent_again_delayed_with_its_delivery_count_and_poisoned_after_the_last()
    {
        var org = await app.CreateSyncedOrgAsync();
        // Unreadable organization settings make every processing of this organization's message throw.
        await app.ExecAsync("UPDATE organizations SET settings = '{\"aims\": 42}'::jsonb WHERE id = @OrgId", new { org.OrgId });
        var space = await org.Admin.CreateSpaceAsync($"B{Guid.NewGuid():N}"[..16]);
        var jobId = await app.Db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<Guid>(c,
            "SELECT id FROM sync_queue WHERE org_id = @o AND entity_id = @e", new { o = org.OrgId, e = space.Id() }));
        var consumer = _services.GetRequiredService<PushConsumer>();

        // Handled without throwing (so the runtime deletes it): a new copy, invisible for the backoff, carries the count.
        await Functions.Push(Delivered(new PushMessage(org.OrgId, jobId).ToJson()), CancellationToken.None);
        var copy = await ReceiveForAsync(org.OrgId);
        Assert.Equal(1, copy.Message!.Attempt);
        await Queue.DeleteAsync(copy);
        Assert.Equal(TimeSpan.FromMilliseconds(50), consumer.Backoff(1));
        Assert.Equal(TimeSpan.FromMilliseconds(100), consumer.Backoff(2));

        // The last delivery goes to the poison queue; the job stays open (the sweeper's), nothing is dead.
        await Functions.Push(Delivered(new PushMessage(org.OrgId, jobId, Attempt: 3).ToJson(), dequeueCount: 1), CancellationToken.None);
        var poison = await ReceiveForAsync(org.OrgId, poison: true);
        Assert.Equal(4, poison.Message!.Attempt);
        await Queue.DeletePoisonAsync(poison);
        Assert.Equal("pending", (await app.JobAsync(org.OrgId, space.Id(), "upsert_article")).Status);
    }

    [Fact]
    public void The_default_message_backoff_outlasts_a_minute_of_database_outage()
    {
        var consumer = new PushConsumer(null!, null!, null!, ElectisSpace.Core.Configuration.ServerSettings.Load(
            new ConfigurationBuilder().AddInMemoryCollection(TestApp.DefaultSettings("Host=x")!).Build(),
            ElectisSpace.Core.Configuration.HostProfile.Functions), Microsoft.Extensions.Logging.Abstractions.NullLogger<PushConsumer>.Instance);
        Assert.True(consumer.RetrySpan > TimeSpan.FromSeconds(90), $"{consumer.RetrySpan}");
    }

    [Fact]
    public async Task A_message_the_queue_function_cannot_read_fails_so_the_runtime_can_poison_it() =>
        await Assert.ThrowsAsync<InvalidDataException>(() => Functions.Push(Delivered("{\"hello\":1}"), CancellationToken.None));

    [Fact]
    public async Task The_timer_function_re_sends_jobs_that_were_never_sent()
    {
        var org = await app.CreateSyncedOrgAsync();
        await org.Admin.CreateSpaceAsync($"T{Guid.NewGuid():N}"[..16]);
        // Nothing dispatched it (a crash right after commit); once it is overdue the sweeper sends it.
        await app.ExecAsync("UPDATE sync_queue SET created_at = now() - interval '1 minute', scheduled_at = now() - interval '1 minute' WHERE org_id = @OrgId", new { org.OrgId });

        await Functions.Sweep(null!, CancellationToken.None);

        var message = await ReceiveForAsync(org.OrgId);
        await Functions.Push(Delivered(message), CancellationToken.None);
        await Queue.DeleteAsync(message);
        await app.WaitDrainedAsync(org.OrgId, 2000);
    }

    [Fact]
    public async Task A_worker_killed_between_the_AIMS_call_and_the_completion_is_redone_without_loss_or_double()
    {
        var org = await app.CreateSyncedOrgAsync();
        var externalId = $"K{Guid.NewGuid():N}"[..16];
        var space = await org.Admin.CreateSpaceAsync(externalId, data: new { roomName = "Killed" });
        // The dead worker's state: it claimed the job, pushed the article, and died before recording the outcome.
        await app.ExecAsync("UPDATE sync_queue SET status = 'processing', locked_until = now() - interval '1 second' WHERE org_id = @OrgId", new { org.OrgId });
        var conn = (await _services.GetRequiredService<AimsConnections>().ForOrganizationAsync(org.OrgId))!;
        await _services.GetRequiredService<AimsClient>().UpsertArticlesAsync(conn, [new ElectisSpace.Core.Aims.AimsArticle(externalId, "Killed", "", new Dictionary<string, string> { ["roomName"] = "Killed" })]);

        await Functions.Sweep(null!, CancellationToken.None); // the lease ran out: the sweeper sends it again
        var message = await ReceiveForAsync(org.OrgId);
        await Functions.Push(Delivered(message), CancellationToken.None);
        await Queue.DeleteAsync(message);

        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "synced", 2000);
        Assert.Equal(1, app.Aims.State.Articles(ElectisSpace.AimsEmulator.EmulatorSeed.DefaultCompany, ElectisSpace.AimsEmulator.EmulatorSeed.DefaultStore)
            .Count(a => a.ArticleId == externalId));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @OrgId AND status = 'completed'", new { org.OrgId }));
    }

    [Fact]
    public void Host_json_queue_section_matches_the_push_policy_and_Standalone_reads_the_same_numbers()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ElectisSpace.sln"))) dir = dir.Parent;
        var path = Path.Combine(dir!.FullName, "functions", "ElectisSpace.Functions", "host.json");
        var host = QueueHostSettings.Load(path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var queues = doc.RootElement.GetProperty("extensions").GetProperty("queues");

        // Job retries live in the outbox (per job type, up to 10), and a failed processing is re-sent by the consumer with
        // its own backoff; the dequeue count only guards against a delivery that throws (unreadable, queue unreachable).
        Assert.Equal(5, host.MaxDequeueCount);
        Assert.Equal(queues.GetProperty("maxDequeueCount").GetInt32(), host.MaxDequeueCount);
        Assert.InRange(host.VisibilityTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.InRange(host.BatchSize, 1, 32); // Azure Storage receives at most 32 per call
        Assert.Equal(Azure.Storage.Queues.QueueMessageEncoding.Base64, host.MessageEncoding); // the extension's default; AzurePushQueue follows it
        // Standalone ships the same file and its listener reads it.
        Assert.Equal(host, app.Services.GetRequiredService<QueueHostSettings>());
        // A worker killed mid-job is retried by lease expiry well before the message would be poisoned.
        Assert.True(new ElectisSpace.Core.Sync.SyncOptions().Lease > host.VisibilityTimeout);
    }
}
