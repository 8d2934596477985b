using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Sync.FullSync;
using ElectisSpace.Core.Sync.Jobs;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// Issue 20 targets on this machine: a full sync of 10,000 articles under 15 s (Standalone background job over HTTP, and the
/// Durable orchestration under the in-process test host with the real activities); a pull of 10,000 unchanged articles
/// under 5 s. Each full-sync iteration starts from a fresh organization with 10,000 pending spaces and an empty AIMS store
/// (so all 10,000 are pushed in 20 fanned-out batches of 500).
/// </summary>
[Config(typeof(SyncBenchmarkConfig))]
public class SyncBenchmark
{
    [Params(10_000)] public int Articles;

    private BenchmarkServer _server = null!;
    private AimsEmulatorHost _aims = null!, _aimsSynced = null!;
    private DurableTaskTestHost _durable = null!;
    private (HttpClient Client, Guid OrgId) _fresh;
    private HttpClient _synced = null!;
    private byte[] _csv = [];

    [GlobalSetup]
    public async Task Setup()
    {
        _server = await BenchmarkServer.StartAsync();
        _aims = await AimsEmulatorHost.StartAsync();
        _aimsSynced = await AimsEmulatorHost.StartAsync();
        _durable = await DurableTestHosts.StartAsync(r => FullSyncOrchestration.Register(r, _server.Services.GetRequiredService<SyncSteps>()));
        var sb = new StringBuilder("externalId,name,floor\n");
        for (var i = 0; i < Articles; i++) sb.Append($"D{i:00000},Desk {i},{i % 12}\n");
        _csv = Encoding.UTF8.GetBytes(sb.ToString());
        // The pull benchmark's organization: 10,000 spaces already in step with AIMS (its own emulator).
        _synced = (await NewOrganizationAsync(_aimsSynced)).Client;
        await WaitAsync(_synced, await TriggerAsync(_synced, "full"));
    }

    private async Task<(HttpClient Client, Guid OrgId)> NewOrganizationAsync(AimsEmulatorHost aims)
    {
        var org = await _server.NewOrganizationAsync();
        var settings = await org.Client.PatchAsJsonAsync("/api/settings", new
        {
            aims = new { baseUrl = aims.BaseUrl.ToString().TrimEnd('/'), cluster = "common", company = EmulatorSeed.DefaultCompany, store = EmulatorSeed.DefaultStore,
                         username = EmulatorSeed.DefaultUsername, password = EmulatorSeed.DefaultPassword },
        });
        settings.EnsureSuccessStatusCode();
        var import = await org.Client.PostAsync("/api/spaces/import", new ByteArrayContent(_csv) { Headers = { ContentType = new("text/csv") } });
        import.EnsureSuccessStatusCode();
        return org;
    }

    [IterationSetup(Targets = [nameof(Full_sync_standalone), nameof(Full_sync_orchestrated)])]
    public void FreshOrganization()
    {
        _aims.State.Reset(); // an empty AIMS store again
        _fresh = NewOrganizationAsync(_aims).GetAwaiter().GetResult();
    }

    [Benchmark(Description = "full sync, 10k articles, Standalone background job (HTTP trigger → completed)")]
    public async Task Full_sync_standalone() => await WaitAsync(_fresh.Client, await TriggerAsync(_fresh.Client, "full"));

    [Benchmark(Description = "full sync, 10k articles, Durable orchestration (in-process test host, real activities)")]
    public async Task Full_sync_orchestrated()
    {
        var (jobId, _) = await SyncJobStore.CreateAsync(_server.Services.GetRequiredService<ElectisSpace.Core.Database.Db>(), _fresh.OrgId,
            SyncJobTypes.Full, "api", null);
        var id = await _durable.Client.ScheduleNewOrchestrationInstanceAsync(FullSyncFlow.Name, new FullSyncInput(jobId, 3, 500),
            new StartOrchestrationOptions(FullSyncOrchestration.InstanceId(_fresh.OrgId) + "-" + jobId.ToString("N")));
        var done = await _durable.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true);
        if (done.ReadOutputAs<SyncStats>() is not { Uploaded: > 0, Errors: 0 } stats) throw new InvalidOperationException($"orchestration: {done.SerializedOutput}");
    }

    [Benchmark(Description = "pull, 10k unchanged articles (HTTP trigger → completed)")]
    public async Task Pull_unchanged() => await WaitAsync(_synced, await TriggerAsync(_synced, "pull"));

    private static async Task<Guid> TriggerAsync(HttpClient c, string type)
    {
        var res = await c.PostAsJsonAsync("/api/sync/trigger", new { type });
        var body = await res.Content.ReadFromJsonAsync<JsonElement>();
        if (!res.IsSuccessStatusCode) throw new InvalidOperationException($"trigger: {(int)res.StatusCode} {body}");
        return body.GetProperty("jobId").GetGuid();
    }

    private static async Task WaitAsync(HttpClient c, Guid jobId)
    {
        while (true)
        {
            var job = await c.GetFromJsonAsync<JsonElement>($"/api/sync/jobs/{jobId}");
            var status = job.GetProperty("status").GetString();
            if (status == "completed" && job.GetProperty("stats").GetProperty("errors").GetInt32() == 0) return;
            if (status is "completed" or "failed") throw new InvalidOperationException($"sync job: {job}");
            await Task.Delay(20);
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _durable.DisposeAsync();
        await _aims.DisposeAsync();
        await _aimsSynced.DisposeAsync();
        await _server.DisposeAsync();
    }
}

/// <summary>Whole operations of several seconds: in process, 1 warm-up and 3 measured iterations each.</summary>
public sealed class SyncBenchmarkConfig : ManualConfig
{
    public SyncBenchmarkConfig() => AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring)
        .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3).WithToolchain(InProcessEmitToolchain.Instance));
}
