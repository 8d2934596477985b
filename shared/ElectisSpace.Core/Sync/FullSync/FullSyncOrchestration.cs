using ElectisSpace.Core.Sync.Jobs;
using Microsoft.DurableTask;

namespace ElectisSpace.Core.Sync.FullSync;

/// <summary>The orchestration's input. Retry settings travel in the input so the orchestrator reads no configuration (deterministic).</summary>
public sealed record FullSyncInput(Guid JobId, int MaxAttempts, int FirstRetryMilliseconds);
public sealed record BatchInput(Guid JobId, int Batch);
public sealed record BatchFailure(Guid JobId, int Batch, string Reason);
public sealed record CompleteInput(Guid JobId, SyncStats Stats);
public sealed record FailInput(Guid JobId, string Reason);

/// <summary>
/// The full bidirectional sync as a Durable orchestration. The Functions app declares the orchestrator and activity
/// functions under these names (FullSyncFunctions); tests register the same body and activities with the in-process
/// test host (<see cref="Register"/>). The body is deterministic: it only calls activities, reads its input and branches
/// on their results — no I/O, clock or randomness.
/// </summary>
public static class FullSyncOrchestration
{
    public const string Name = "FullSync";
    public const string Begin = "FullSync_Begin", Plan = "FullSync_Plan", Apply = "FullSync_Apply", Push = "FullSync_PushBatch",
        BatchFailed = "FullSync_BatchFailed", Complete = "FullSync_Complete", Fail = "FullSync_Fail";

    /// <summary>The Durable singleton per organization: one instance id, so a second start finds the running one.</summary>
    public static string InstanceId(Guid orgId) => $"fullsync-{orgId:N}";

    public static TaskOptions Retry(int maxAttempts, int firstRetryMilliseconds) =>
        TaskOptions.FromRetryPolicy(new RetryPolicy(Math.Max(1, maxAttempts), TimeSpan.FromMilliseconds(Math.Max(1, firstRetryMilliseconds)), 2.0));

    public static async Task<SyncStats> RunAsync(TaskOrchestrationContext context, FullSyncInput input)
    {
        var retry = Retry(input.MaxAttempts, input.FirstRetryMilliseconds);
        var jobId = input.JobId;
        PlanSummary plan;
        StepResult applied;
        try
        {
            // AIMS unreachable (after the retries) → the job fails here, before anything is written.
            await context.CallActivityAsync(Begin, jobId, retry);
            plan = await context.CallActivityAsync<PlanSummary>(Plan, jobId, retry);
            applied = await context.CallActivityAsync<StepResult>(Apply, jobId, retry);
        }
        catch (TaskFailedException e)
        {
            var reason = e.FailureDetails.ErrorMessage;
            await context.CallActivityAsync(Fail, new FailInput(jobId, reason));
            return new SyncStats();
        }

        // Fan out: every batch of ≤ 500 articles in parallel; a batch that still fails after its retries is marked error.
        var batches = await Task.WhenAll(Enumerable.Range(0, plan.Batches).Select(async b =>
        {
            try { return await context.CallActivityAsync<StepResult>(Push, new BatchInput(jobId, b), retry); }
            catch (TaskFailedException e)
            {
                return await context.CallActivityAsync<StepResult>(BatchFailed, new BatchFailure(jobId, b, e.FailureDetails.ErrorMessage), retry);
            }
        }));
        var stats = Totals(plan, applied, batches);
        try { return await context.CallActivityAsync<SyncStats>(Complete, new CompleteInput(jobId, stats), retry); }
        catch (TaskFailedException e)
        {
            // Completing failed after its retries: the job is failed with the reason rather than left active.
            await context.CallActivityAsync(Fail, new FailInput(jobId, $"Completing the full sync failed: {e.FailureDetails.ErrorMessage}"), retry);
            return stats;
        }
    }

    public static SyncStats Totals(PlanSummary plan, StepResult applied, IEnumerable<StepResult> batches) =>
        batches.Aggregate(new SyncStats(applied.Downloaded, applied.Uploaded, plan.Conflicts, applied.Errors, plan.Read),
            (s, b) => s with { Downloaded = s.Downloaded + b.Downloaded, Uploaded = s.Uploaded + b.Uploaded, Errors = s.Errors + b.Errors });

    /// <summary>
    /// The orchestrator and the real activities (the same SyncSteps the Functions activities call), for a DurableTaskRegistry.
    /// observe (tests) sees each finished activity call: name, input, output.
    /// </summary>
    public static void Register(DurableTaskRegistry r, SyncSteps steps, Action<string, object?, object?>? observe = null)
    {
        async Task<TOut> Seen<TIn, TOut>(string name, TIn input, Func<TIn, Task<TOut>> run)
        {
            var output = await run(input);
            observe?.Invoke(name, input, output);
            return output;
        }
        r.AddOrchestratorFunc<FullSyncInput, SyncStats>(Name, RunAsync);
        r.AddActivityFunc<Guid, bool>(Begin, (_, jobId) => Seen(Begin, jobId, async j => { await steps.BeginAsync(j); return true; }));
        r.AddActivityFunc<Guid, PlanSummary>(Plan, (_, jobId) => Seen(Plan, jobId, j => steps.PlanAsync(j)));
        r.AddActivityFunc<Guid, StepResult>(Apply, (_, jobId) => Seen(Apply, jobId, j => steps.ApplyLocalAsync(j)));
        r.AddActivityFunc<BatchInput, StepResult>(Push, (_, b) => Seen(Push, b, x => steps.PushBatchAsync(x.JobId, x.Batch)));
        r.AddActivityFunc<BatchFailure, StepResult>(BatchFailed, (_, f) => Seen(BatchFailed, f, x => steps.MarkBatchFailedAsync(x.JobId, x.Batch, x.Reason)));
        r.AddActivityFunc<CompleteInput, SyncStats>(Complete, (_, c) => Seen(Complete, c, x => steps.CompleteAsync(x.JobId, x.Stats)));
        r.AddActivityFunc<FailInput, bool>(Fail, (_, f) => Seen(Fail, f, async x => { await steps.FailAsync(x.JobId, x.Reason); return true; }));
    }
}
