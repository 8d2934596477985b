using ElectisSpace.Core.Routing;

namespace ElectisSpace.Core.Spaces;

public static class SpacesRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } = [];
}
