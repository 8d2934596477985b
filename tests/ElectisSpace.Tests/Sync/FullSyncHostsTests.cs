using System.Collections.Concurrent;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Sync.FullSync;
using ElectisSpace.Core.Sync.Jobs;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// Issue #33 item 3: one full sync flow and retry policy, run by both hosts. The same organization state and the same
/// AIMS failures, once through Standalone's runner and once through the Durable orchestration (in-process test host, the
/// real activities): both take the same steps, attempt for attempt, and end the job the same way.
/// </summary>
public sealed class FullSyncHostsTests(SyncTestApp app) : IClassFixture<SyncTestApp>
{
    private readonly SyncSteps _steps = app.Services.GetRequiredService<SyncSteps>();

    private async Task<(List<(string, bool)> Attempts, string Status)> StandaloneAsync(Guid orgId)
    {
        var attempts = new ConcurrentQueue<StepAttempt>();
        var (jobId, _) = await SyncJobStore.CreateAsync(app.Db, orgId, SyncJobTypes.Full, "api", null);
        await FullSyncRunner.RunAsync(_steps, new FullSyncInput(jobId, 3, 50), default, attempts.Enqueue);
        return (Seen(attempts), await StatusAsync(jobId));
    }

    private async Task<(List<(string, bool)> Attempts, string Status)> DurableAsync(Guid orgId)
    {
        var attempts = new ConcurrentQueue<StepAttempt>();
        await using var host = await DurableTestHosts.StartAsync(r => FullSyncOrchestration.Register(r, _steps, attempts.Enqueue));
        var (jobId, _) = await SyncJobStore.CreateAsync(app.Db, orgId, SyncJobTypes.Full, "api", null);
        var instanceId = FullSyncOrchestration.InstanceId(orgId);
        await host.Client.ScheduleNewOrchestrationInstanceAsync(FullSyncFlow.Name, new FullSyncInput(jobId, 3, 50), new StartOrchestrationOptions(instanceId));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var result = await host.Client.WaitForInstanceCompletionAsync(instanceId, false, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        return (Seen(attempts), await StatusAsync(jobId));
    }

    private static List<(string, bool)> Seen(IEnumerable<StepAttempt> attempts) => attempts.Select(a => (a.Step, a.Error is null)).ToList();

    private async Task<string> StatusAsync(Guid jobId) =>
        (await JobRows.OfAsync(app, jobId)).Status;

    /// <summary>A world whose AIMS fails the first reads of the plan, and refuses every article write.</summary>
    private async Task<SyncWorld> FailingWorldAsync()
    {
        var w = await SyncWorld.CreateAsync(app);
        for (var i = 0; i < 3; i++) await w.Org.Admin.CreateSpaceAsync($"H-{i}");
        w.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "GET", Status = 503, Remaining = 2 }); // the client's own retry + 1
        w.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "POST", Status = 400, Remaining = int.MaxValue });
        return w;
    }

    [Fact]
    public async Task Both_hosts_take_the_same_steps_when_a_step_fails_once_and_AIMS_keeps_refusing_a_batch()
    {
        await using var a = await FailingWorldAsync();
        var standalone = await StandaloneAsync(a.Org.OrgId);
        await using var b = await FailingWorldAsync();
        var durable = await DurableAsync(b.Org.OrgId);

        List<(string, bool)> expected =
        [
            (FullSyncFlow.Begin, true), (FullSyncFlow.Plan, false), (FullSyncFlow.Plan, true), (FullSyncFlow.Apply, true),
            // The batch's writes go through the outbox: AIMS refusing them is the outbox's to retry and bury, not the step's.
            (FullSyncFlow.Push, true), (FullSyncFlow.AwaitBatch, true), (FullSyncFlow.Complete, true),
        ];
        Assert.Equal(expected, standalone.Attempts);
        Assert.Equal(expected, durable.Attempts);
        Assert.Equal(("completed", "completed"), (standalone.Status, durable.Status));
    }

    [Fact]
    public async Task Both_hosts_do_not_retry_a_step_that_retrying_cannot_fix_and_fail_the_job()
    {
        // No AIMS settings: Begin throws SyncAbortedException, which the one retry policy never retries.
        var a = await app.CreateOrgAsync();
        var standalone = await StandaloneAsync(a.OrgId);
        var b = await app.CreateOrgAsync();
        var durable = await DurableAsync(b.OrgId);

        List<(string, bool)> expected = [(FullSyncFlow.Begin, false), (FullSyncFlow.Fail, true)];
        Assert.Equal(expected, standalone.Attempts);
        Assert.Equal(expected, durable.Attempts);
        Assert.Equal(("failed", "failed"), (standalone.Status, durable.Status));
    }

    [Fact]
    public async Task Both_hosts_fail_the_job_when_completing_keeps_failing()
    {
        await using var a = await SyncWorld.CreateAsync(app);
        await using var b = await SyncWorld.CreateAsync(app);
        var fn = $"refuse_complete_{a.Org.OrgId:N}";
        await app.ExecAsync($"""
            CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'completion refused'; END $$;
            CREATE TRIGGER {fn} BEFORE UPDATE ON sync_jobs FOR EACH ROW
                WHEN (NEW.status = 'completed' AND NEW.org_id IN ('{a.Org.OrgId}', '{b.Org.OrgId}')) EXECUTE FUNCTION {fn}();
            """);
        try
        {
            var standalone = await StandaloneAsync(a.Org.OrgId);
            var durable = await DurableAsync(b.Org.OrgId);
            List<(string, bool)> expected =
            [
                (FullSyncFlow.Begin, true), (FullSyncFlow.Plan, true), (FullSyncFlow.Apply, true),
                (FullSyncFlow.Complete, false), (FullSyncFlow.Complete, false), (FullSyncFlow.Complete, false), (FullSyncFlow.Fail, true),
            ];
            Assert.Equal(expected, standalone.Attempts);
            Assert.Equal(expected, durable.Attempts);
            Assert.Equal(("failed", "failed"), (standalone.Status, durable.Status));
        }
        finally
        {
            await app.ExecAsync($"DROP TRIGGER {fn} ON sync_jobs; DROP FUNCTION {fn}();");
        }
    }
}
