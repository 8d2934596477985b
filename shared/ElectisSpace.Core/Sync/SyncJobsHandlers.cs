using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Sync.FullSync;
using ElectisSpace.Core.Sync.Jobs;
using ElectisSpace.Core.Sync.Pull;

namespace ElectisSpace.Core.Sync;

public enum SyncTriggerType { Full, Pull, Push }

public sealed record SyncTriggerRequest(SyncTriggerType? Type);
/// <summary>AlreadyRunning: a full sync of the organization was running, and JobId is that job.</summary>
public sealed record SyncTriggerResponse(string Message, Guid JobId, string Type, bool AlreadyRunning);

/// <summary>/api/sync/trigger, /api/sync/jobs, /api/spaces/sync.</summary>
public static class SyncJobsHandlers
{
    public static Task<IResult> Trigger(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var body = await ctx.ReadOptionalJsonAsync<SyncTriggerRequest>();
        var type = body?.Type ?? SyncTriggerType.Full;
        return type switch
        {
            SyncTriggerType.Full => await StartFullAsync(ctx),
            SyncTriggerType.Pull => await PullAsync(ctx),
            _ => await PushAsync(ctx),
        };
    });

    public static Task<IResult> SyncSpaces(HttpRequest req) => Api.Run(req, StartFullAsync);

    public static Task<IResult> GetJob(HttpRequest req, string? id) => Api.Run(req, async ctx =>
    {
        var jobId = RequestContext.ParseId(id, "Sync job");
        var job = await ctx.Service<Db>().ReadAsync(c => SyncJobStore.GetAsync(c, ctx.User.OrgId, jobId), ctx.Aborted)
            ?? throw ApiException.NotFound("Sync job");
        return ApiResults.Ok(job);
    });

    public static Task<IResult> ListJobs(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var page = PageRequest.From(req);
        var type = Query.Enum<SyncTriggerType>(req, "type") is { } t ? EnumNames.Name(t) : null;
        var (rows, total) = await ctx.Service<Db>().ReadAsync(c => SyncJobStore.ListAsync(c, ctx.User.OrgId, page, type), ctx.Aborted);
        return ApiResults.Page(rows, page, total);
    });

    /// <summary>
    /// The starter comes from the request's features when the host put one there (Functions: built on the trigger's
    /// Durable client binding), else from DI (Standalone: runs the steps as a background job).
    /// </summary>
    private static async Task<IResult> StartFullAsync(RequestContext ctx)
    {
        var starter = ctx.Request.HttpContext.Features.Get<IFullSyncStarter>() ?? ctx.Service<IFullSyncStarter>();
        var (jobId, started) = await starter.StartAsync(ctx.User.OrgId, ctx.User.UserId, ctx.Aborted);
        return ApiResults.Accepted(new SyncTriggerResponse(started ? "Full sync started." : "A full sync is already running; this is its job.",
            jobId, SyncJobTypes.Full, !started));
    }

    /// <summary>A pull runs now (it only reads AIMS and writes the server); the answer names its finished job.</summary>
    private static async Task<IResult> PullAsync(RequestContext ctx)
    {
        var job = await ctx.Service<PullSync>().RunAsync(ctx.User.OrgId, "api", ctx.User.UserId, ctx.Aborted)
            ?? throw ApiException.Conflict("A pull or a full sync of this organization is already running.");
        return ApiResults.Accepted(new SyncTriggerResponse($"Pull {job.Status}.", job.Id, SyncJobTypes.Pull, false));
    }

    /// <summary>Push: entities whose last push failed go back into the outbox (the push path sends them); the job counts them.</summary>
    private static async Task<IResult> PushAsync(RequestContext ctx)
    {
        var db = ctx.Service<Db>();
        var (jobId, _) = await SyncJobStore.CreateAsync(db, ctx.User.OrgId, SyncJobTypes.Push, "api", ctx.User.UserId, ctx.Aborted);
        await db.InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            var queued = 0;
            foreach (var (table, type) in new[] { ("spaces", EntityTypes.Space), ("people", EntityTypes.Person), ("conference_rooms", EntityTypes.Conference) })
            {
                var ids = (await c.QueryAsync<Guid>($"""
                    UPDATE {table} SET sync_status = 'pending', sync_error = NULL WHERE org_id = @orgId AND sync_status IN ('error', 'failed') RETURNING id
                    """, new { orgId }, tx)).ToArray();
                queued += await Outbox.EnqueueUpsertsAsync(c, tx, orgId, type, ids);
            }
            await SyncJobStore.CompleteAsync(c, tx, jobId, new SyncStats(Uploaded: queued));
        }, ctx.Aborted);
        return ApiResults.Accepted(new SyncTriggerResponse("Failed items queued for push.", jobId, SyncJobTypes.Push, false));
    }
}
