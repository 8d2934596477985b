using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>
/// Keeps a push claim's lease while its AIMS work runs, and bounds that work by the lease. Every third of the lease the
/// claimed rows' <c>locked_until</c> moves on (only rows that still carry this claim's token and a live lease: a lapsed
/// lease is never revived, another worker may already hold the jobs). <see cref="Token"/>, which the AIMS calls run
/// under, is cancelled a sixth of the lease before the last lease won ends, or at once when a renewal finds a job taken.
/// So a slow push keeps its jobs (no other instance pushes them meanwhile), and a worker that can no longer renew (the
/// database unreachable, the claim taken over) stops calling AIMS before anyone else may claim: a late POST can no
/// longer overwrite a newer version in AIMS.
/// </summary>
public sealed class PushClaimLease : IAsyncDisposable
{
    private readonly CancellationTokenSource _work;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private PushClaimLease(Db db, IReadOnlyList<PushJob> jobs, TimeSpan lease, ILogger log, CancellationToken ct)
    {
        _work = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _work.CancelAfter(WorkWindow(lease));
        _loop = RenewAsync(db, jobs, lease, log, _stop.Token);
    }

    /// <summary>Starts keeping the lease of jobs just claimed with <paramref name="lease"/>.</summary>
    public static PushClaimLease Hold(Db db, IReadOnlyList<PushJob> jobs, TimeSpan lease, ILogger log, CancellationToken ct) =>
        new(db, jobs, lease, log, ct);

    /// <summary>Cancelled when the claim's AIMS work must stop (lease ending or lost), or when the caller's token is.</summary>
    public CancellationToken Token => _work.Token;

    /// <summary>How long after a lease is won the work may still run: a margin before its end for clocks and the last bytes.</summary>
    private static TimeSpan WorkWindow(TimeSpan lease) => lease - lease / 6;

    private async Task RenewAsync(Db db, IReadOnlyList<PushJob> jobs, TimeSpan lease, ILogger log, CancellationToken stop)
    {
        var ids = jobs.Select(j => j.Id).ToArray();
        var tokens = jobs.Select(j => j.ClaimToken).ToArray();
        using var timer = new PeriodicTimer(lease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                // The lease won counts from before the statement left, so the window never outlasts the row's lease.
                var sent = Stopwatch.GetTimestamp();
                int renewed;
                try
                {
                    renewed = await db.ReadAsync(c => c.ExecuteAsync("""
                        UPDATE sync_queue q SET locked_until = now() + @lease
                        FROM unnest(@ids, @tokens) AS h(id, token)
                        WHERE q.id = h.id AND q.claim_token = h.token AND q.status = 'processing' AND q.locked_until > now()
                        """, new { ids, tokens, lease }), stop);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Not renewed: the work keeps the window of the last lease won and stops when it ends.
                    log.LogWarning(e, "Renewing the lease of {Count} push jobs failed", ids.Length);
                    continue;
                }
                if (renewed < ids.Length)
                {
                    log.LogWarning("{Lost} of {Count} push jobs are no longer held by this claim; its AIMS work stops", ids.Length - renewed, ids.Length);
                    await _work.CancelAsync();
                    return;
                }
                _work.CancelAfter(WorkWindow(lease) - Stopwatch.GetElapsedTime(sent));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _work.Dispose();
    }
}
