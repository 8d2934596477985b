using ElectisSpace.Core.Routing;

namespace ElectisSpace.Core.Conference;

public static class ConferenceRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } = [];
}
