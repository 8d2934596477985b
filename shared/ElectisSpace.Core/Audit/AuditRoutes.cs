using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using static ElectisSpace.Core.Routing.Route;

namespace ElectisSpace.Core.Audit;

public static class AuditRoutes
{
    private static readonly QueryParam[] Filters =
    [
        new("userId", "uuid", "Only this user's actions."), new("action", "string", "e.g. create, update, delete, login, login_failed."),
        new("entityType", "string", "e.g. space, person, conference, user, settings."), new("entityId", "string", "One entity's history."),
        new("from", "date-time", "From this time (inclusive)."), new("to", "date-time", "Up to this time (inclusive)."),
    ];

    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Get("audit", "Audit_List", AuditHandlers.List) with
        {
            Tag = "Audit", Permission = Permission.AuditRead, Response = typeof(AuditEntryDto), Paged = true,
            Query = [.. PageParams, .. Filters], Errors = [ErrorCodes.Validation], Summary = "The audit trail, newest first.",
        },
        Get("audit/export", "Audit_Export", AuditHandlers.Export) with
        {
            Tag = "Audit", Permission = Permission.AuditRead, Query = Filters, ResponseContentType = "text/csv", Errors = [ErrorCodes.Validation],
            Summary = "The audit trail as CSV (same filters, newest first, at most 100,000 rows).",
        },
    ];
}
