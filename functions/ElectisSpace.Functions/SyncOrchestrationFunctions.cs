using ElectisSpace.Core.Routing;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Sync;
using ElectisSpace.Core.Sync.Alive;
using ElectisSpace.Core.Sync.FullSync;
using ElectisSpace.Core.Sync.Jobs;
using ElectisSpace.Core.Sync.Pull;
using ElectisSpace.Core.Database;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Functions;

// The sync engine's non-HTTP functions: the alive and pull timers (NCRONTAB from the Sync:* settings) and the full sync
// as a Durable orchestration. Orchestrator and activities are declared by hand (the DurableTask source generator is not
// served here); their bodies are the shared FullSyncFlow (run by FullSyncOrchestration) and its step table, which tests run under the
// in-process Durable test host.

public sealed class SyncTimerFunctions(AimsAliveMonitor alive, PullSync pull)
{
    [Function("Sync_AliveTimer")]
    public Task<int> Alive([TimerTrigger("%Sync:AliveSchedule%")] TimerInfo timer, CancellationToken ct) => alive.PingAllAsync(ct);

    [Function("Sync_PullTimer")]
    public Task<int> Pull([TimerTrigger("%Sync:PullSchedule%")] TimerInfo timer, CancellationToken ct) => pull.RunDueAsync(ct);
}

public sealed class FullSyncFunctions(SyncSteps steps)
{
    [Function(FullSyncFlow.Name)]
    public static Task<SyncStats> Orchestrate([OrchestrationTrigger] TaskOrchestrationContext context) =>
        FullSyncOrchestration.RunAsync(context, context.GetInput<FullSyncInput>()!);

    [Function(FullSyncFlow.Begin)]
    public Task<bool> Begin([ActivityTrigger] Guid jobId) => Step<bool>(FullSyncFlow.Begin, jobId);

    [Function(FullSyncFlow.Plan)]
    public Task<PlanSummary> Plan([ActivityTrigger] Guid jobId) => Step<PlanSummary>(FullSyncFlow.Plan, jobId);

    [Function(FullSyncFlow.Apply)]
    public Task<StepResult> Apply([ActivityTrigger] Guid jobId) => Step<StepResult>(FullSyncFlow.Apply, jobId);

    [Function(FullSyncFlow.Push)]
    public Task<int> Push([ActivityTrigger] BatchInput input) => Step<int>(FullSyncFlow.Push, input);

    [Function(FullSyncFlow.AwaitBatch)]
    public Task<StepResult> AwaitBatch([ActivityTrigger] BatchInput input) => Step<StepResult>(FullSyncFlow.AwaitBatch, input);

    [Function(FullSyncFlow.BatchFailed)]
    public Task<StepResult> BatchFailed([ActivityTrigger] BatchFailure input) => Step<StepResult>(FullSyncFlow.BatchFailed, input);

    [Function(FullSyncFlow.Complete)]
    public Task<SyncStats> Complete([ActivityTrigger] CompleteInput input) => Step<SyncStats>(FullSyncFlow.Complete, input);

    [Function(FullSyncFlow.Fail)]
    public Task<bool> Fail([ActivityTrigger] FailInput input) => Step<bool>(FullSyncFlow.Fail, input);

    /// <summary>Every activity runs the flow's one step table (as Standalone's runner does).</summary>
    private async Task<T> Step<T>(string name, object input) => (T)(await FullSyncFlow.RunStepAsync(steps, name, input))!;
}

/// <summary>
/// Functions' full sync starter, built on the Durable client binding of the HTTP trigger: the job row (the one-per-organization
/// rule lives in its unique index) and the orchestration under the organization's singleton instance id.
/// </summary>
public sealed class DurableFullSyncStarter(DurableTaskClient client, IServiceProvider services) : IFullSyncStarter
{
    public async Task<(Guid JobId, bool Started)> StartAsync(Guid orgId, Guid? requestedBy, CancellationToken ct)
    {
        var db = services.GetRequiredService<Db>();
        var instanceId = FullSyncOrchestration.InstanceId(orgId);
        var (jobId, created) = await SyncJobStore.CreateAsync(db, orgId, SyncJobTypes.Full, "api", requestedBy, ct);
        if (!created) return (jobId, false);
        var sync = services.GetRequiredService<ServerSettings>().SyncSchedule;
        try
        {
            if (await client.GetInstanceAsync(instanceId, ct) is { RuntimeStatus: OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending })
            {
                // The previous run is still finishing (its job row already closed): this job waits for no one, it is refused.
                await db.ReadAsync(c => SyncJobStore.FailAsync(c, jobId, "The previous full sync orchestration is still finishing; try again shortly."), ct);
                return (jobId, true);
            }
            await client.ScheduleNewOrchestrationInstanceAsync(FullSyncFlow.Name,
                new FullSyncInput(jobId, sync.StepMaxAttempts, sync.StepRetryMilliseconds), new StartOrchestrationOptions(instanceId), ct);
        }
        catch (Exception e)
        {
            // Nothing will run this job: it is failed now, so the organization's next trigger starts a new one (should
            // this write fail too, the job sweeper ends it once its lease lapses, as no orchestration runs it).
            await db.ReadAsync(c => SyncJobStore.FailAsync(c, jobId, $"The full sync could not be scheduled: {e.Message}"), CancellationToken.None);
            throw;
        }
        return (jobId, true);
    }

    /// <summary>
    /// The job sweeper's question on Functions: is this lapsed full sync's orchestration still running (e.g. waiting
    /// between retries)? Then it keeps its job; otherwise (completed, failed, terminated, never scheduled) the job is ended.
    /// </summary>
    public static async Task<bool> IsRunningAsync(DurableTaskClient client, LapsedJob job, CancellationToken ct)
    {
        if (job.Type != SyncJobTypes.Full) return false;
        var instance = await client.GetInstanceAsync(FullSyncOrchestration.InstanceId(job.OrgId), getInputsAndOutputs: true, ct);
        return instance is { RuntimeStatus: OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended }
            && instance.ReadInputAs<FullSyncInput>()?.JobId == job.Id;
    }
}

/// <summary>The job sweeper's timer (Standalone runs SyncJobSweeperService); the Durable client answers whether a full sync still runs.</summary>
public sealed class SyncJobSweepFunctions(SyncJobSweeper sweeper)
{
    [Function("Sync_JobSweep")]
    public Task<int> Sweep([TimerTrigger("*/30 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken ct) =>
        sweeper.SweepAsync((job, c) => DurableFullSyncStarter.IsRunningAsync(client, job, c), ct);
}

public static class SyncJobsFunctions
{
    [Function("Sync_Trigger")]
    public static Task<IResult> Trigger([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "sync/trigger")] HttpRequest req, [DurableClient] DurableTaskClient client) => ServeWithDurable("Sync_Trigger", req, client);

    [Function("Sync_Jobs")]
    public static Task<IResult> Jobs([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "sync/jobs")] HttpRequest req) => ApiRoutes.Serve("Sync_Jobs", req);

    [Function("Sync_Job")]
    public static Task<IResult> Job([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "sync/jobs/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("Sync_Job", req);

    [Function("Spaces_Sync")]
    public static Task<IResult> SpacesSync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "spaces/sync")] HttpRequest req, [DurableClient] DurableTaskClient client) => ServeWithDurable("Spaces_Sync", req, client);

    /// <summary>Full-sync starts go through the Durable client binding: the shared handler finds this starter in the request's features.</summary>
    private static Task<IResult> ServeWithDurable(string route, HttpRequest req, DurableTaskClient client)
    {
        req.HttpContext.Features.Set<IFullSyncStarter>(new DurableFullSyncStarter(client, req.HttpContext.RequestServices));
        return ApiRoutes.Serve(route, req);
    }
}
