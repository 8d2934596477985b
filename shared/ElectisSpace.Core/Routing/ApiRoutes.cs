namespace ElectisSpace.Core.Routing;

/// <summary>The one route table. Standalone maps it directly; every Functions HTTP trigger serves one entry (a test checks parity).
/// Both hosts invoke a route only through <see cref="Serve(ApiRoute, HttpRequest)"/>: the pipeline (Api.Run) takes the route's
/// Auth and Permission from there, so each is declared once, here.</summary>
public static class ApiRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        .. Health.HealthRoutes.All,
        .. Auth.AuthRoutes.All,
        .. Users.UsersRoutes.All,
        .. Audit.AuditRoutes.All,
        .. Spaces.SpacesRoutes.All,
        .. People.PeopleRoutes.All,
        .. Conference.ConferenceRoutes.All,
        .. Settings.SettingsRoutes.All,
        .. Sync.SyncJobsRoutes.All,
        .. Sync.SyncRoutes.All,
        .. Events.EventsRoutes.All,
    ];

    private static readonly Dictionary<string, ApiRoute> ByName = All.ToDictionary(r => r.Name);

    /// <summary>The route of this function name (the Functions triggers' way in).</summary>
    public static ApiRoute Named(string name) =>
        ByName.TryGetValue(name, out var r) ? r : throw new InvalidOperationException($"No route is named '{name}'.");

    /// <summary>Serves the request with the named route's handler, under that route's authentication and permission.</summary>
    public static Task<IResult> Serve(string name, HttpRequest req) => Serve(Named(name), req);

    /// <summary>Serves the request with the route's handler, under the route's authentication and permission.</summary>
    public static Task<IResult> Serve(ApiRoute route, HttpRequest req)
    {
        ApiRoute.SetCurrent(req.HttpContext, route);
        return route.Handler(req);
    }
}
