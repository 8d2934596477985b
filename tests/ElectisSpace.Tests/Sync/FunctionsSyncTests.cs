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
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings!).Build();
        var services = new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        FunctionsApp.ConfigureServices(services, config);
        _services = services.BuildServiceProvider();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

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
        await Functions.Push(message.Body, CancellationToken.None);
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
    public async Task The_poison_function_dead_letters_the_job_fails_the_entity_and_audits()
    {
        var org = await app.CreateSyncedOrgAsync();
        var space = await org.Admin.CreateSpaceAsync($"P{Guid.NewGuid():N}"[..16]);
        var jobId = await app.Db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<Guid>(c,
            "SELECT id FROM sync_queue WHERE org_id = @o AND entity_id = @e", new { o = org.OrgId, e = space.Id() }));

        await Functions.PushPoison(new PushMessage(org.OrgId, jobId).ToJson(), CancellationToken.None);

        Assert.Equal("dead", (await app.JobAsync(org.OrgId, space.Id(), "upsert_article")).Status);
        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "failed", 1000);
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = 'sync_failed'", new { org.OrgId }));
        var dead = Assert.Single((await SyncApp.GetAsync(org.Admin, "/api/sync/dead-letters")).GetProperty("data").EnumerateArray());
        Assert.Equal(jobId, dead.GetProperty("id").GetGuid());
        // An unreadable message is dropped (logged), a late poison message for a finished job changes nothing.
        await Functions.PushPoison("not json", CancellationToken.None);
        await Functions.PushPoison(new PushMessage(org.OrgId, jobId).ToJson(), CancellationToken.None);
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = 'sync_failed'", new { org.OrgId }));
    }

    [Fact]
    public async Task A_message_the_queue_function_cannot_read_fails_so_the_runtime_can_poison_it() =>
        await Assert.ThrowsAsync<InvalidDataException>(() => Functions.Push("{\"hello\":1}", CancellationToken.None));

    [Fact]
    public async Task The_timer_function_re_sends_jobs_that_were_never_sent()
    {
        var org = await app.CreateSyncedOrgAsync();
        await org.Admin.CreateSpaceAsync($"T{Guid.NewGuid():N}"[..16]);
        // Nothing dispatched it (a crash right after commit); once it is overdue the sweeper sends it.
        await app.ExecAsync("UPDATE sync_queue SET created_at = now() - interval '1 minute', scheduled_at = now() - interval '1 minute' WHERE org_id = @OrgId", new { org.OrgId });

        await Functions.Sweep(null!, CancellationToken.None);

        var message = await ReceiveForAsync(org.OrgId);
        await Functions.Push(message.Body, CancellationToken.None);
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
        await Functions.Push(message.Body, CancellationToken.None);
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

        // Job retries live in the outbox (per job type, up to 10); the message's dequeue count only guards against a worker
        // that keeps failing on it. Poison after a few deliveries, retried after a short visibility timeout.
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
