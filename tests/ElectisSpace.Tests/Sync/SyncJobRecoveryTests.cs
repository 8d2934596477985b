using System.Net;
using System.Net.Http.Json;
using Dapper;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Sync.FullSync;
using ElectisSpace.Core.Sync.Jobs;
using ElectisSpace.Functions;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ElectisSpace.Tests.Sync;

/// <summary>The Standalone host with its worker (and job sweeper) and a 2 s job lease swept every second, so a dead runner's job ends within seconds.</summary>
public class JobLeaseApp : TestApp
{
    protected virtual bool WorkerEnabled => true;

    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings =>
    [
        new("Sync:WorkerEnabled", WorkerEnabled ? "true" : "false"),
        new("Aims:MaxRetries", "1"), new("Aims:RetryBaseDelayMilliseconds", "10"), new("Aims:AttemptTimeoutSeconds", "30"),
        new("Aims:CircuitBreakSeconds", "1"), new("Sync:LeaseSeconds", "2"), new("Sync:SweepIntervalSeconds", "1"),
    ];
}

/// <summary>As the Functions app: no Standalone sweeper in the process; the tests sweep with the Durable client's answer.</summary>
public sealed class DurableJobLeaseApp : JobLeaseApp
{
    protected override bool WorkerEnabled => false;
}

/// <summary>
/// Issue #33 item 1: a job whose runner died is ended by the job sweeper once its lease lapses, and the organization's next
/// sync then runs. Each death as it happens in production: a host process killed mid-run (full sync and pull), a Durable
/// scheduling that fails after the job row was inserted, and completing that fails after its retries.
/// </summary>
public sealed class SyncJobRecoveryTests(JobLeaseApp app) : IClassFixture<JobLeaseApp>
{
    private Task<(string Status, string? Error)> JobRowAsync(Guid jobId) => JobRows.OfAsync(app, jobId);

    private static FaultRule SlowArticleReads() =>
        new() { RouteContains = "/articles", Method = "GET", Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(60), Remaining = int.MaxValue };

    [Fact]
    public async Task A_host_killed_mid_full_sync_and_mid_pull_leaves_no_job_active_and_the_next_syncs_run()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        for (var i = 0; i < 3; i++) await w.Org.Admin.CreateSpaceAsync($"K-{i}");
        w.Aims.Faults.Add(SlowArticleReads()); // both runs hang reading AIMS articles, as a long run would

        Guid fullId;
        using (var host = await StandaloneProcess.StartAsync(app.Settings()))
        {
            using var client = host.Client(w.Org.AdminToken);
            var started = await HttpAssert.Status(await client.PostAsJsonAsync("/api/sync/trigger", new { type = "full" }), HttpStatusCode.Accepted);
            fullId = started.GetProperty("jobId").GetGuid();
            await SyncApp.WaitUntilAsync(async () => (await JobRowAsync(fullId)).Status == "running", "the full sync running in the host process");
            host.Kill(); // SIGKILL: no shutdown, no catch, no finally
        }
        Assert.Equal("running", (await JobRowAsync(fullId)).Status); // what the dead runner left

        // The pull (it refuses to start while a full sync is active, so: another organization): a second host process,
        // killed while its pull reads AIMS.
        await using var w2 = await SyncWorld.CreateAsync(app);
        w2.Aims.Faults.Add(SlowArticleReads());
        Guid pullId;
        using (var host = await StandaloneProcess.StartAsync(app.Settings()))
        {
            using var client = host.Client(w2.Org.AdminToken);
            _ = client.PostAsJsonAsync("/api/sync/trigger", new { type = "pull" }); // answers when the pull ends: never
            await SyncApp.WaitUntilAsync(async () => await app.CountAsync(
                "SELECT count(*) FROM sync_jobs WHERE org_id = @o AND type = 'pull' AND status = 'running'", new { o = w2.Org.OrgId }) == 1,
                "the pull running in the host process");
            await using var conn = new NpgsqlConnection(app.ConnectionString);
            pullId = await conn.ExecuteScalarAsync<Guid>("SELECT id FROM sync_jobs WHERE org_id = @o AND type = 'pull'", new { o = w2.Org.OrgId });
            host.Kill();
        }
        w.Aims.Faults.Clear();
        w2.Aims.Faults.Clear();

        // This host's sweeper ends both jobs within the lease (2 s) and a sweep (1 s), with the reason.
        foreach (var id in new[] { fullId, pullId })
        {
            await SyncApp.WaitUntilAsync(async () => (await JobRowAsync(id)).Status == "failed", $"job {id} ended by the sweeper", 15_000);
            Assert.Contains("runner stopped", (await JobRowAsync(id)).Error);
        }
        await w.FullSyncAsync();
        Assert.All(Enumerable.Range(0, 3), i => Assert.NotNull(w.AimsArticle($"K-{i}")));
        Assert.Equal("completed", (await w2.PullAsync()).GetProperty("status").GetString());
    }

}

/// <summary>Item 1 on Functions: the Durable starter, orchestration and the sweeper's question to the Durable client.</summary>
public sealed class DurableSyncJobRecoveryTests(DurableJobLeaseApp app) : IClassFixture<DurableJobLeaseApp>
{
    private Task<(string Status, string? Error)> JobRowAsync(Guid jobId) => JobRows.OfAsync(app, jobId);

    [Fact]
    public async Task A_full_sync_whose_scheduling_fails_after_its_job_row_is_failed_and_the_next_one_runs()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        await w.Org.Admin.CreateSpaceAsync("S-1");
        // A Durable backend that is gone: its client fails every call.
        var gone = await DurableTestHosts.StartAsync(r => { });
        var goneClient = gone.Client;
        await gone.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => new DurableFullSyncStarter(goneClient, app.Services).StartAsync(w.Org.OrgId, null, default));

        var (status, error) = await SingleFullJobAsync(w.Org.OrgId);
        Assert.Equal("failed", status);
        Assert.Contains("could not be scheduled", error);

        await using var host = await DurableTestHosts.StartAsync(r => FullSyncOrchestration.Register(r, app.Services.GetRequiredService<SyncSteps>()));
        var (jobId, started) = await new DurableFullSyncStarter(host.Client, app.Services).StartAsync(w.Org.OrgId, null, default);
        Assert.True(started);
        await WaitInstanceAsync(host.Client, w.Org.OrgId);
        Assert.Equal("completed", (await JobRowAsync(jobId)).Status);
    }

    [Fact]
    public async Task A_full_sync_whose_completion_keeps_failing_is_failed_with_the_reason_and_the_next_one_runs()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        await w.Org.Admin.CreateSpaceAsync("C-1");
        // The database refuses to complete this organization's full syncs (the step fails on every retry).
        var fn = $"refuse_complete_{w.Org.OrgId:N}";
        await app.ExecAsync($"""
            CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'completion refused'; END $$;
            CREATE TRIGGER {fn} BEFORE UPDATE ON sync_jobs FOR EACH ROW
                WHEN (NEW.status = 'completed' AND NEW.org_id = '{w.Org.OrgId}') EXECUTE FUNCTION {fn}();
            """);
        await using var host = await DurableTestHosts.StartAsync(r => FullSyncOrchestration.Register(r, app.Services.GetRequiredService<SyncSteps>()));
        var starter = new DurableFullSyncStarter(host.Client, app.Services);
        try
        {
            var (jobId, _) = await starter.StartAsync(w.Org.OrgId, null, default);
            await WaitInstanceAsync(host.Client, w.Org.OrgId);
            var (status, error) = await JobRowAsync(jobId);
            Assert.Equal("failed", status);
            Assert.Contains("completion refused", error);
        }
        finally
        {
            await app.ExecAsync($"DROP TRIGGER {fn} ON sync_jobs; DROP FUNCTION {fn}();");
        }
        var (nextId, started) = await starter.StartAsync(w.Org.OrgId, null, default);
        Assert.True(started);
        await WaitInstanceAsync(host.Client, w.Org.OrgId);
        Assert.Equal("completed", (await JobRowAsync(nextId)).Status);
    }

    [Fact]
    public async Task On_Functions_the_sweeper_keeps_a_lapsed_job_whose_orchestration_runs_and_ends_one_no_orchestration_runs()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        await w.Org.Admin.CreateSpaceAsync("F-1");
        await using var host = await DurableTestHosts.StartAsync(r => FullSyncOrchestration.Register(r, app.Services.GetRequiredService<SyncSteps>()));
        var sweeper = app.Services.GetRequiredService<SyncJobSweeper>();
        Task<int> SweepAsync() => sweeper.SweepAsync((job, ct) => DurableFullSyncStarter.IsRunningAsync(host.Client, job, ct));

        // Alive: the orchestration's Plan step is slow (longer than the lease); the sweeper asks Durable and keeps the job.
        w.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "GET", Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(4), Remaining = 1 });
        var (jobId, _) = await new DurableFullSyncStarter(host.Client, app.Services).StartAsync(w.Org.OrgId, null, default);
        await app.ExecAsync("UPDATE sync_jobs SET heartbeat_at = now() - interval '1 minute' WHERE id = @jobId", new { jobId });
        await SweepAsync();
        Assert.NotEqual("failed", (await JobRowAsync(jobId)).Status);
        await WaitInstanceAsync(host.Client, w.Org.OrgId);
        Assert.Equal("completed", (await JobRowAsync(jobId)).Status);

        // Dead: a job row no orchestration runs (scheduling and failing it both failed), its lease lapsed.
        var (orphan, created) = await SyncJobStore.CreateAsync(app.Db, w.Org.OrgId, SyncJobTypes.Full, "api", null);
        Assert.True(created);
        await app.ExecAsync("UPDATE sync_jobs SET heartbeat_at = now() - interval '1 minute' WHERE id = @orphan", new { orphan });
        await SweepAsync();
        Assert.Equal("failed", (await JobRowAsync(orphan)).Status);
        var (nextId, started) = await new DurableFullSyncStarter(host.Client, app.Services).StartAsync(w.Org.OrgId, null, default);
        Assert.True(started);
        await WaitInstanceAsync(host.Client, w.Org.OrgId);
        Assert.Equal("completed", (await JobRowAsync(nextId)).Status);
    }

    private async Task<(string Status, string? Error)> SingleFullJobAsync(Guid orgId)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        return await conn.QuerySingleAsync<(string, string?)>("SELECT status, error FROM sync_jobs WHERE org_id = @orgId AND type = 'full'", new { orgId });
    }

    private static async Task WaitInstanceAsync(DurableTaskClient client, Guid orgId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await client.WaitForInstanceCompletionAsync(FullSyncOrchestration.InstanceId(orgId), getInputsAndOutputs: false, timeout.Token);
    }
}

internal static class JobRows
{
    public static async Task<(string Status, string? Error)> OfAsync(TestApp app, Guid jobId)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        return await conn.QuerySingleAsync<(string, string?)>("SELECT status, error FROM sync_jobs WHERE id = @jobId", new { jobId });
    }
}
