using ElectisSpace.Core.Sync.Jobs;
using Microsoft.DurableTask;
using Polly;
using Polly.Retry;

namespace ElectisSpace.Core.Sync.FullSync;

/// <summary>The orchestration's input. Retry settings travel in the input so the orchestrator reads no configuration (deterministic).</summary>
public sealed record FullSyncInput(Guid JobId, int MaxAttempts, int FirstRetryMilliseconds)
{
    public StepRetry Retry => new(MaxAttempts, TimeSpan.FromMilliseconds(FirstRetryMilliseconds));
}

public sealed record BatchInput(Guid JobId, int Batch);
public sealed record BatchFailure(Guid JobId, int Batch, string Reason);
public sealed record CompleteInput(Guid JobId, SyncStats Stats);
public sealed record FailInput(Guid JobId, string Reason);

/// <summary>One attempt at one step, as a host saw it (tests compare the hosts' attempts): Error is null when it succeeded.</summary>
public sealed record StepAttempt(string Step, object? Input, object? Output, string? Error);

/// <summary>
/// The retry policy of every full sync step, declared once: MaxAttempts tries, waiting FirstRetry then doubling, and a
/// <see cref="SyncAbortedException"/> (nothing to retry: no AIMS settings, the job was ended) is never retried. Durable
/// reads it as a RetryPolicy (the orchestrator's retries are Durable timers, deterministic); Standalone as a Polly pipeline.
/// </summary>
public sealed record StepRetry(int MaxAttempts, TimeSpan FirstRetry)
{
    public const double Backoff = 2.0;

    public TaskOptions DurableOptions() => TaskOptions.FromRetryPolicy(
        new RetryPolicy(Math.Max(1, MaxAttempts), Positive(FirstRetry), Backoff) { HandleFailure = f => !f.IsCausedBy<SyncAbortedException>() });

    public ResiliencePipeline Pipeline() => MaxAttempts <= 1 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
    {
        MaxRetryAttempts = MaxAttempts - 1,
        Delay = Positive(FirstRetry),
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = false,
        ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (SyncAbortedException or OperationCanceledException)),
    }).Build();

    private static TimeSpan Positive(TimeSpan t) => t > TimeSpan.Zero ? t : TimeSpan.FromMilliseconds(1);
}

/// <summary>How a host runs one step of <see cref="FullSyncFlow"/> under <see cref="StepRetry"/>: an activity call (Durable) or a call in process (Standalone).</summary>
public interface IFullSyncHost
{
    Task<T> CallAsync<T>(string step, object input);
}

/// <summary>
/// The full bidirectional sync, declared once and run by both hosts: the Durable orchestration (Functions) and the
/// background runner (Standalone) both run <see cref="RunAsync"/> over their <see cref="IFullSyncHost"/>, and both run each
/// step through <see cref="RunStepAsync"/>. Begin → Plan → Apply → per batch (fanned out) PushBatch (into the outbox) then
/// AwaitBatch (the outbox works it; waiting is an activity, so the orchestrator stays deterministic), a batch still
/// failing after its retries is marked failed → Complete; a step still failing after its retries (Complete included) fails the job
/// with the reason. The body only calls steps and branches on their results (deterministic for Durable replay).
/// </summary>
public static class FullSyncFlow
{
    public const string Name = "FullSync";
    public const string Begin = "FullSync_Begin", Plan = "FullSync_Plan", Apply = "FullSync_Apply", Push = "FullSync_PushBatch",
        AwaitBatch = "FullSync_AwaitBatch",
        BatchFailed = "FullSync_BatchFailed", Complete = "FullSync_Complete", Fail = "FullSync_Fail";

    public static async Task<SyncStats> RunAsync(IFullSyncHost host, FullSyncInput input)
    {
        var jobId = input.JobId;
        try
        {
            // AIMS unreachable (after the retries) → the job fails here, before anything is written.
            await host.CallAsync<bool>(Begin, jobId);
            var plan = await host.CallAsync<PlanSummary>(Plan, jobId);
            var applied = await host.CallAsync<StepResult>(Apply, jobId);
            var batches = await Task.WhenAll(Enumerable.Range(0, plan.Batches).Select(async b =>
            {
                try
                {
                    await host.CallAsync<int>(Push, new BatchInput(jobId, b));
                    return await host.CallAsync<StepResult>(AwaitBatch, new BatchInput(jobId, b));
                }
                catch (Exception e) when (IsStepFailure(e))
                {
                    return await host.CallAsync<StepResult>(BatchFailed, new BatchFailure(jobId, b, Reason(e)));
                }
            }));
            return await host.CallAsync<SyncStats>(Complete, new CompleteInput(jobId, Totals(plan, applied, batches)));
        }
        catch (Exception e) when (IsStepFailure(e))
        {
            await host.CallAsync<bool>(Fail, new FailInput(jobId, Reason(e)));
            return new SyncStats();
        }
    }

    /// <summary>The steps by name: the one table both hosts run (the Functions activities and the Standalone runner).</summary>
    public static async Task<object?> RunStepAsync(SyncSteps steps, string step, object input, CancellationToken ct = default)
    {
        switch (step)
        {
            case Begin: await steps.BeginAsync((Guid)input, ct); return true;
            case Plan: return await steps.PlanAsync((Guid)input, ct);
            case Apply: return await steps.ApplyLocalAsync((Guid)input, ct);
            case Push: var b = (BatchInput)input; return await steps.PushBatchAsync(b.JobId, b.Batch, ct);
            case AwaitBatch: var w = (BatchInput)input; return await steps.AwaitBatchAsync(w.JobId, w.Batch, ct);
            case BatchFailed: var f = (BatchFailure)input; return await steps.MarkBatchFailedAsync(f.JobId, f.Batch, f.Reason, ct);
            case Complete: var c = (CompleteInput)input; return await steps.CompleteAsync(c.JobId, c.Stats, ct);
            case Fail: var x = (FailInput)input; await steps.FailAsync(x.JobId, x.Reason, ct); return true;
            default: throw new ArgumentOutOfRangeException(nameof(step), step, "Not a full sync step.");
        }
    }

    public static SyncStats Totals(PlanSummary plan, StepResult applied, IEnumerable<StepResult> batches) =>
        batches.Aggregate(new SyncStats(applied.Downloaded, applied.Uploaded, plan.Conflicts, applied.Errors, plan.Read, applied.LabelsTakenFromAims),
            (s, b) => s with { Downloaded = s.Downloaded + b.Downloaded, Uploaded = s.Uploaded + b.Uploaded, Errors = s.Errors + b.Errors,
                LabelsTakenFromAims = s.LabelsTakenFromAims + b.LabelsTakenFromAims });

    private static bool IsStepFailure(Exception e) => e is not OperationCanceledException;

    private static string Reason(Exception e) => e is TaskFailedException t ? t.FailureDetails.ErrorMessage : e.Message;
}
