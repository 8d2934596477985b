using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using static ElectisSpace.Core.Routing.Route;

namespace ElectisSpace.Core.Health;

public static class HealthRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Get("health", "Health_Live", HealthHandlers.Live) with
            { Tag = "Health", Auth = RouteAuth.Public, Response = typeof(LiveResponse), Summary = "Liveness: the process answers; touches nothing." },
        Get("health/ready", "Health_Ready", HealthHandlers.Ready) with
            { Tag = "Health", Auth = RouteAuth.Public, Response = typeof(ReadyResponse), AlternateStatuses = [503], Summary = "Readiness: database and AIMS checks; 503 when degraded." },
        Get("health/aims", "Health_Aims", HealthHandlers.Aims) with
            { Tag = "Health", Auth = RouteAuth.Public, Response = typeof(AimsAliveResponse), AlternateStatuses = [503],
              Summary = "AIMS reachability (HEAD on the AIMS token path of the default host): 200 ok, 503 error; not-configured without a default host." },
        Get("health/detailed", "Health_Detailed", HealthHandlers.Detailed) with
            { Tag = "Health", Permission = Permission.HealthDetailed, Response = typeof(DetailedHealthResponse), Summary = "Uptime, version, memory, database, AIMS ping and sync queue counts (admin)." },
    ];
}
