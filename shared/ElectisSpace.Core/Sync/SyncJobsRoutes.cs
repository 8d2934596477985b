using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using ElectisSpace.Core.Sync.Jobs;
using static ElectisSpace.Core.Routing.Route;

namespace ElectisSpace.Core.Sync;

public static class SyncJobsRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Post("sync/trigger", "Sync_Trigger", SyncJobsHandlers.Trigger) with
        {
            Tag = "Sync", Permission = Permission.SyncTrigger, Request = typeof(SyncTriggerRequest), Response = typeof(SyncTriggerResponse),
            SuccessStatus = 202, Errors = [ErrorCodes.Validation, ErrorCodes.Conflict],
            Summary = "Start a sync: full (both directions, one per organization at a time; a second request answers the running job), " +
                      "pull (AIMS → server, runs now) or push (failed items back into the outbox).",
        },
        Get("sync/jobs", "Sync_Jobs", SyncJobsHandlers.ListJobs) with
        {
            Tag = "Sync", Permission = Permission.SyncView, Response = typeof(SyncJobDto), Paged = true, Errors = [ErrorCodes.Validation],
            Query = [.. PageParams, new("type", "string", "Only jobs of this type.", ["full", "pull", "push"])],
            Summary = "Sync jobs, newest first.",
        },
        Get("sync/jobs/{id:guid}", "Sync_Job", WithId(SyncJobsHandlers.GetJob)) with
        {
            Tag = "Sync", Permission = Permission.SyncView, Response = typeof(SyncJobDto), Errors = [ErrorCodes.NotFound],
            Summary = "One sync job: status, times, stats {downloaded, uploaded, conflicts, errors, read} and the conflicts it resolved.",
        },
        Post("spaces/sync", "Spaces_Sync", SyncJobsHandlers.SyncSpaces) with
        {
            Tag = "Spaces", Permission = Permission.SyncTrigger, Response = typeof(SyncTriggerResponse), SuccessStatus = 202,
            Summary = "Start a full sync (spaces with their occupants, people and rooms); a running one is answered instead.",
        },
    ];
}
