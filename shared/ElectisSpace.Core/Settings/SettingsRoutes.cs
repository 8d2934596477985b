using ElectisSpace.Core.Routing;

namespace ElectisSpace.Core.Settings;

public static class SettingsRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } = [];
}
