using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using static ElectisSpace.Core.Routing.Route;

namespace ElectisSpace.Core.Users;

public static class UsersRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Get("users", "Users_List", UsersHandlers.List) with
        {
            Tag = "Users", Permission = Permission.UsersManage, Response = typeof(UserDto), Paged = true, Summary = "List the organization's users.",
            Errors = [ErrorCodes.Validation],
            Query = [.. PageParams, new("role", "string", "Filter by role.", ["admin", "manager", "viewer"]),
                new("search", "string", "Matches email or name."), new("isActive", "boolean", "Filter by active state.")],
        },
        Post("users", "Users_Create", UsersHandlers.Create) with
        {
            Tag = "Users", Permission = Permission.UsersManage, Request = typeof(CreateUserRequest), Response = typeof(CreatedUserResponse),
            SuccessStatus = 201, Errors = [ErrorCodes.Validation, ErrorCodes.Conflict],
            Summary = "Create a user; without a password a temporary one is generated and returned once.",
        },
        Get("users/me", "Users_Me", UsersHandlers.Me) with
            { Tag = "Users", Response = typeof(UserDto), Summary = "The signed-in user.", Errors = [ErrorCodes.NotFound] },
        Get("users/{id:guid}", "Users_Get", WithId(UsersHandlers.Get)) with
            { Tag = "Users", Permission = Permission.UsersManage, Response = typeof(UserDto), Errors = [ErrorCodes.NotFound], Summary = "One user." },
        Patch("users/{id:guid}", "Users_Update", WithId(UsersHandlers.Update)) with
        {
            Tag = "Users", Permission = Permission.UsersManage, Request = typeof(UpdateUserRequest), Response = typeof(UserDto),
            Errors = [ErrorCodes.Validation, ErrorCodes.NotFound, ErrorCodes.Conflict, ErrorCodes.Business],
            Summary = "Change names, role or active state; you cannot demote or deactivate yourself or the last admin.",
        },
        Delete("users/{id:guid}", "Users_Delete", WithId(UsersHandlers.Delete)) with
        {
            Tag = "Users", Permission = Permission.UsersManage, SuccessStatus = 204, Errors = [ErrorCodes.NotFound, ErrorCodes.Business],
            Summary = "Delete a user (not yourself, not the last admin).",
        },
    ];
}
