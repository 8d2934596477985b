using System.Text.Json;
using System.Text.Json.Nodes;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Sync.FullSync;
using ElectisSpace.Core.Sync.Jobs;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// The full sync as the Functions app runs it: the shared orchestrator body and the real activities (SyncSteps against
/// PostgreSQL and the AIMS emulator) under the in-process Durable test host.
/// </summary>
public sealed class DurableFullSyncTests(SyncTestApp app) : IClassFixture<SyncTestApp>, IAsyncLifetime
{
    private DurableTaskTestHost _host = null!;
    /// <summary>Every activity the host ran: the history a replay is fed (the in-memory host does not serve GetOrchestrationHistory).</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Name, string Input, string Output)> _executed = new();

    public async Task InitializeAsync() =>
        _host = await DurableTestHosts.StartAsync(r => FullSyncOrchestration.Register(r, app.Services.GetRequiredService<SyncSteps>(),
            a => { if (a.Error is null) _executed.Enqueue((a.Step, JsonSerializer.Serialize(a.Input), JsonSerializer.Serialize(a.Output))); }));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(string InstanceId, OrchestrationMetadata Result, Guid JobId)> RunAsync(SyncWorld w)
    {
        var (jobId, created) = await SyncJobStore.CreateAsync(app.Db, w.Org.OrgId, SyncJobTypes.Full, "api", null);
        Assert.True(created);
        var instanceId = FullSyncOrchestration.InstanceId(w.Org.OrgId);
        await _host.Client.ScheduleNewOrchestrationInstanceAsync(FullSyncFlow.Name, new FullSyncInput(jobId, 3, 50),
            new StartOrchestrationOptions(instanceId));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var result = await _host.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
        return (instanceId, result, jobId);
    }

    [Fact]
    public async Task The_orchestration_syncs_both_ways_with_the_real_activities_and_replays_deterministically()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        var csv = new System.Text.StringBuilder("externalId,name\n");
        for (var i = 0; i < 700; i++) csv.Append($"O{i:000},Desk {i}\n"); // two push batches (500 + 200), fanned out
        await HttpAssert.Status(await w.Org.Admin.PostAsync("/api/spaces/import", new StringContent(csv.ToString(), System.Text.Encoding.UTF8, "text/csv")),
            System.Net.HttpStatusCode.OK);
        await w.EditInAimsAsync("AIMS-ONLY", new() { ["name"] = "Created in AIMS" });

        var (instanceId, result, jobId) = await RunAsync(w);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        var stats = result.ReadOutputAs<SyncStats>()!;
        Assert.Equal(new SyncStats(Downloaded: 1, Uploaded: 700, Conflicts: 0, Errors: 0, Read: 1), stats);
        Assert.Equal(701, w.AimsArticles().Count);
        var job = await w.WaitJobAsync(jobId);
        Assert.Equal(("completed", 700), (job.GetProperty("status").GetString(), SyncWorld.Stat(job, "uploaded")));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o AND external_id = 'AIMS-ONLY'", new { o = w.Org.OrgId }));

        // Replay: the orchestrator, run twice on the recorded history (each activity answered with what it returned in the
        // real run), asks for exactly the activities that ran, with the same inputs, in the same order both times, and
        // returns the same result.
        var executed = _executed.ToList();
        Assert.Equal(2, executed.Count(e => e.Name == FullSyncFlow.Push));
        List<(string Name, string Input)>? firstCalls = null;
        for (var run = 0; run < 2; run++)
        {
            var replay = new ReplayContext(executed);
            var output = await FullSyncOrchestration.RunAsync(replay, new FullSyncInput(jobId, 3, 50));
            Assert.Equal(stats, output);
            Assert.Equal(executed.Select(e => (e.Name, e.Input)).Order(), replay.Calls.Order());
            if (firstCalls is null) firstCalls = replay.Calls;
            else Assert.Equal(firstCalls, replay.Calls);
        }
    }

    [Fact]
    public async Task A_batch_AIMS_refuses_is_counted_and_the_orchestration_completes()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        for (var i = 0; i < 3; i++) await w.Org.Admin.CreateSpaceAsync($"X-{i}");
        // AIMS refuses the batch's writes: the outbox buries them (dead letters), the batch counts them as errors.
        w.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "POST", Status = 400, Remaining = 1000 });
        var (instanceId, result, jobId) = await RunAsync(w);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal((3, 0), (result.ReadOutputAs<SyncStats>()!.Errors, result.ReadOutputAs<SyncStats>()!.Uploaded));
        Assert.True(w.Aims.Count("POST", "/articles") >= 1);
        Assert.Single(_executed, e => e.Name == FullSyncFlow.AwaitBatch);
        Assert.Equal("completed", (await w.WaitJobAsync(jobId)).GetProperty("status").GetString());
        Assert.Equal(3, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o AND sync_status = 'failed'", new { o = w.Org.OrgId }));
    }

    [Fact]
    public async Task AIMS_unreachable_at_start_fails_the_orchestrated_job_before_anything_is_written()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        await w.Org.Admin.CreateSpaceAsync("Z-1");
        await w.Aims.DisposeAsync();
        var (_, result, jobId) = await RunAsync(w);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        var job = await w.WaitJobAsync(jobId);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains("unreachable", job.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o AND sync_status = 'pending'", new { o = w.Org.OrgId }));
        w.Aims = await AimsEmulatorHost.StartAsync();
    }

    /// <summary>
    /// An orchestration context fed by a recorded history: each activity call is matched, in order, with the next
    /// scheduled event and answered with its recorded result (or failure). Anything non-deterministic would show up as
    /// a different call sequence or input.
    /// </summary>
    private sealed class ReplayContext(List<(string Name, string Input, string Output)> history) : TaskOrchestrationContext
    {
        private readonly List<(string Name, string Input, string Output)> _unused = [.. history];
        public List<(string Name, string Input)> Calls { get; } = [];

        // Answers synchronously: Durable runs an orchestrator on one thread, so the replay must not let the fanned-out
        // batches (PushBatch then AwaitBatch each) race on the thread pool.
        public override Task<T> CallActivityAsync<T>(TaskName name, object? input = null, TaskOptions? options = null)
        {
            var call = (name.Name, JsonSerializer.Serialize(input));
            Calls.Add(call);
            var index = _unused.FindIndex(e => (e.Name, e.Input) == call);
            Assert.True(index >= 0, $"The replay asked for an activity the history does not hold: {call}.");
            var recorded = _unused[index];
            _unused.RemoveAt(index);
            return Task.FromResult(JsonSerializer.Deserialize<T>(recorded.Output)!);
        }

        public override Task CallActivityAsync(TaskName name, object? input = null, TaskOptions? options = null) =>
            CallActivityAsync<bool>(name, input, options);

        public override TaskName Name => FullSyncFlow.Name;
        public override string InstanceId => "replay";
        public override ParentOrchestrationInstance? Parent => null;
        public override DateTime CurrentUtcDateTime => throw new InvalidOperationException("The orchestrator must not read the clock.");
        public override bool IsReplaying => true;
        public override TaskOrchestrationEntityFeature Entities => throw new NotSupportedException();
        protected override ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;
        public override T GetInput<T>() => throw new NotSupportedException();
        public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => throw new InvalidOperationException("No timers expected.");
        public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public override void SendEvent(string instanceId, string eventName, object payload) => throw new NotSupportedException();
        public override void SetCustomStatus(object? customStatus) { }
        public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
            throw new NotSupportedException();
        public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => throw new NotSupportedException();
        public override Guid NewGuid() => throw new InvalidOperationException("The orchestrator must not make ids.");
    }
}
