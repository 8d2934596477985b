using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using static ElectisSpace.Core.Routing.Route;

namespace ElectisSpace.Core.Settings;

public static class SettingsRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Get("settings", "Settings_Get", SettingsHandlers.Get) with
            { Tag = "Settings", Permission = Permission.SettingsRead, Response = typeof(SettingsDto), Summary = "The organization's settings (the AIMS password only as passwordSet)." },
        Patch("settings", "Settings_Update", SettingsHandlers.Update) with
        {
            Tag = "Settings", Permission = Permission.SettingsWrite, Request = typeof(UpdateSettingsRequest), Response = typeof(SettingsDto),
            Errors = [ErrorCodes.Validation, ErrorCodes.Conflict],
            Summary = "Merge changes into the settings (JSON merge patch); aims.password is stored encrypted (AES-256-GCM).",
        },
    ];
}
