namespace ElectisSpace.Core.Routing;

/// <summary>The one route table. Standalone maps it directly; every Functions HTTP trigger serves one entry (a test checks parity).</summary>
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
        .. Sync.SyncRoutes.All,
    ];
}
