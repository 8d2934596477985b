using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Sync;

/// <summary>GET /sync/status (design: status idle|syncing, lastSync, pendingItems, failedItems, solumConnected) + deadLetters.</summary>
public sealed record SyncStatusDto(string Status, DateTimeOffset? LastSync, long PendingItems, long FailedItems, bool SolumConnected, long DeadLetters);

public sealed record RetryDeadLetterResult(string Message, Guid JobId);

/// <summary>/api/sync: the push engine's state and its dead letters, scoped to the caller's organization.</summary>
public static class SyncHandlers
{
    /// <summary>Reads only the rows it reports (open, failed and dead jobs, the newest completed one), each through a
    /// partial index (migration 0018), never the organization's retained history of completed jobs.</summary>
    public static Task<IResult> Status(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var orgId = ctx.User.OrgId;
        var row = await ctx.Service<Db>().ReadAsync(c => c.QuerySingleAsync<(long Pending, long Processing, long Failed, long Dead, DateTime? LastSync)>("""
            SELECT o.pending, o.processing, p.failed, p.dead, l.last_sync
            FROM (SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'processing') AS processing
                  FROM sync_queue WHERE org_id = @orgId AND status IN ('pending', 'processing')) o,
                 (SELECT count(*) AS failed, count(*) FILTER (WHERE status = 'dead') AS dead
                  FROM sync_queue WHERE org_id = @orgId AND status IN ('failed', 'dead')) p,
                 (SELECT max(processed_at) AS last_sync FROM sync_queue WHERE org_id = @orgId AND status = 'completed') l
            """, new { orgId }), ctx.Aborted);
        var conn = await ctx.Service<AimsConnections>().ForOrganizationAsync(orgId, ctx.Aborted);
        var connected = conn is not null && !ctx.Service<IAimsAvailability>().IsDown(conn);
        return ApiResults.Ok(new SyncStatusDto(row.Processing > 0 ? "syncing" : "idle",
            row.LastSync is { } l ? new DateTimeOffset(l, TimeSpan.Zero) : null, row.Pending + row.Processing, row.Failed, connected, row.Dead));
    });

    public static Task<IResult> DeadLettersList(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var page = PageRequest.From(req, defaultLimit: 50, maxLimit: 100);
        var (rows, total) = await DeadLetters.ListAsync(ctx.Service<Db>(), ctx.User.OrgId, page, ctx.Aborted);
        return ApiResults.Page(rows, page, total);
    });

    public static Task<IResult> RetryDeadLetter(HttpRequest req, string? id) => Api.Run(req, async ctx =>
    {
        var jobId = RequestContext.ParseId(id, "Dead letter");
        if (!await DeadLetters.RetryAsync(ctx.Service<Db>(), ctx.Audit, jobId, ctx.Aborted)) throw ApiException.NotFound("Dead letter");
        return ApiResults.Accepted(new RetryDeadLetterResult("The job is queued again.", jobId));
    });
}
