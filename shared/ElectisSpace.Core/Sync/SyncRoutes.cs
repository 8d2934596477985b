using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using static ElectisSpace.Core.Routing.Route;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Core.Sync;

public static class SyncRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Get("sync/status", "Sync_Status", SyncHandlers.Status) with
        {
            Tag = "Sync", Permission = Permission.SyncView, Response = typeof(SyncStatusDto),
            Summary = "The push engine for this organization: idle or syncing, last push, pending and failed jobs, AIMS connected, dead letters.",
        },
        Get("sync/dead-letters", "Sync_DeadLetters", SyncHandlers.DeadLettersList) with
        {
            Tag = "Sync", Permission = Permission.SyncView, Response = typeof(DeadLetterDto), Paged = true, Query = PageParams,
            Errors = [ErrorCodes.Validation], Summary = "Push jobs that will not be tried again (attempts exhausted or refused by AIMS), newest first.",
        },
        Post("sync/dead-letters/{id:guid}/retry", "Sync_RetryDeadLetter", WithId(SyncHandlers.RetryDeadLetter)) with
        {
            Tag = "Sync", Permission = Permission.SyncTrigger, Response = typeof(RetryDeadLetterResult), SuccessStatus = 202,
            Errors = [ErrorCodes.NotFound], Summary = "Queue a dead job again with fresh attempts; its entity goes back to pending.",
        },
    ];
}
