using ElectisSpace.Core.Routing;

namespace ElectisSpace.Core.People;

public static class PeopleRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } = [];
}
