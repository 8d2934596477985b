using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Core.Sync;

/// <summary>GET /sync/status (design: status idle|syncing, lastSync, pendingItems, failedItems, solumConnected) + deadLetters.</summary>
public sealed record SyncStatusDto(string Status, DateTimeOffset? LastSync, long PendingItems, long FailedItems, bool SolumConnected, long DeadLetters);

public sealed record RetryDeadLetterResult(string Message, Guid JobId);

/// <summary>/api/sync: the push engine's state and its dead letters, scoped to the caller's organization.</summary>
public static class SyncHandlers
{
    public static Task<IResult> Status(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var orgId = ctx.User.OrgId;
        var row = await ctx.Service<Db>().ReadAsync(c => OutboxCounts.ReadAsync(c, orgId), ctx.Aborted);
        var conn = await ctx.Service<AimsConnections>().ForOrganizationAsync(orgId, ctx.Aborted);
        var connected = conn is not null && !ctx.Service<IAimsAvailability>().IsDown(conn);
        return ApiResults.Ok(new SyncStatusDto(row.Processing > 0 ? "syncing" : "idle",
            row.LastCompleted is { } l ? new DateTimeOffset(l, TimeSpan.Zero) : null, row.Pending + row.Processing, row.Failed + row.Dead,
            connected, row.Dead));
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
