using ElectisSpace.Core.Sync.Jobs;
using Microsoft.DurableTask;

namespace ElectisSpace.Core.Sync.FullSync;

/// <summary>
/// The full sync as a Durable orchestration: <see cref="FullSyncFlow"/> whose steps are activity calls with the declared
/// <see cref="StepRetry"/> as their RetryPolicy. The Functions app declares the orchestrator and activity functions under
/// the flow's step names (FullSyncFunctions); tests register the same body and activities with the in-process test host
/// (<see cref="Register"/>).
/// </summary>
public static class FullSyncOrchestration
{
    /// <summary>The Durable singleton per organization: one instance id, so a second start finds the running one.</summary>
    public static string InstanceId(Guid orgId) => $"fullsync-{orgId:N}";

    public static Task<SyncStats> RunAsync(TaskOrchestrationContext context, FullSyncInput input) =>
        FullSyncFlow.RunAsync(new DurableHost(context, input.Retry.DurableOptions()), input);

    private sealed class DurableHost(TaskOrchestrationContext context, TaskOptions retry) : IFullSyncHost
    {
        public Task<T> CallAsync<T>(string step, object input) => context.CallActivityAsync<T>(step, input, retry);
    }

    /// <summary>
    /// The orchestrator and the real activities (the flow's step table over SyncSteps, as the Functions activities run
    /// it), for a DurableTaskRegistry. observe (tests) sees every activity attempt.
    /// </summary>
    public static void Register(DurableTaskRegistry r, SyncSteps steps, Action<StepAttempt>? observe = null)
    {
        void Add<TIn, TOut>(string name) => r.AddActivityFunc<TIn, TOut>(name, async (_, input) =>
        {
            try
            {
                var output = (TOut)(await FullSyncFlow.RunStepAsync(steps, name, input!))!;
                observe?.Invoke(new StepAttempt(name, input, output, null));
                return output;
            }
            catch (Exception e)
            {
                observe?.Invoke(new StepAttempt(name, input, null, e.Message));
                throw;
            }
        });
        r.AddOrchestratorFunc<FullSyncInput, SyncStats>(FullSyncFlow.Name, RunAsync);
        Add<Guid, bool>(FullSyncFlow.Begin);
        Add<Guid, PlanSummary>(FullSyncFlow.Plan);
        Add<Guid, StepResult>(FullSyncFlow.Apply);
        Add<BatchInput, int>(FullSyncFlow.Push);
        Add<BatchInput, StepResult>(FullSyncFlow.AwaitBatch);
        Add<BatchFailure, StepResult>(FullSyncFlow.BatchFailed);
        Add<CompleteInput, SyncStats>(FullSyncFlow.Complete);
        Add<FailInput, bool>(FullSyncFlow.Fail);
    }
}
