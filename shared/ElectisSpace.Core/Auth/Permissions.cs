namespace ElectisSpace.Core.Auth;

public enum Role { Admin, Manager, Viewer }

public enum Permission
{
    SpacesRead, SpacesWrite,
    PeopleRead, PeopleWrite,
    ConferenceRead, ConferenceWrite,
    SettingsRead, SettingsWrite,
    UsersManage,
    AuditRead,
    SyncView, SyncTrigger,
    HealthDetailed,
}

/// <summary>The signed-in user of a request, taken from a validated access token and checked against the database.</summary>
public sealed record CurrentUser(Guid UserId, Guid OrgId, Role Role, string Email)
{
    /// <summary>The session (refresh-token family) the access token was issued for; ending the session ends the token.</summary>
    public Guid SessionId { get; init; }

    /// <summary>
    /// The organization's list change counter (migration 0010) as read with the sign-in check, at the start of the request:
    /// what <see cref="ElectisSpace.Core.Lists.ListCache"/> compares its kept answers with, at no extra round trip.
    /// </summary>
    public long ListVersion { get; init; }
}

/// <summary>The permission matrix of the design (seed 000 + API reference), written once.</summary>
public static class Permissions
{
    private static readonly Dictionary<Role, HashSet<Permission>> Matrix = new()
    {
        [Role.Admin] = [.. Enum.GetValues<Permission>()],
        [Role.Manager] =
        [
            Permission.SpacesRead, Permission.SpacesWrite,
            Permission.PeopleRead, Permission.PeopleWrite,
            Permission.ConferenceRead, Permission.ConferenceWrite,
            Permission.SettingsRead,
            Permission.SyncView, Permission.SyncTrigger,
        ],
        [Role.Viewer] =
        [
            Permission.SpacesRead, Permission.PeopleRead, Permission.ConferenceRead, Permission.SyncView,
        ],
    };

    public static bool Allows(Role role, Permission permission) => Matrix[role].Contains(permission);

    /// <summary>The one authorization check; every handler reaches it through <see cref="Api.Run"/>.</summary>
    public static void Demand(CurrentUser user, Permission permission)
    {
        if (!Allows(user.Role, permission)) throw ApiException.Forbidden();
    }
}
