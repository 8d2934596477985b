using ElectisSpace.Core.Audit;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Health;
using ElectisSpace.Core.Users;

namespace ElectisSpace.Core.Routing;

/// <summary>
/// One route of the API. Pattern is relative to /api (the Functions default route prefix, also used by Standalone).
/// Name is the Azure Functions function name of the trigger serving the same route.
/// </summary>
public sealed record ApiRoute(string Method, string Pattern, string Name, Func<HttpRequest, Task<IResult>> Handler);

/// <summary>The one route table. Standalone maps it directly; every Functions HTTP trigger serves one entry (a test checks parity).</summary>
public static class ApiRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Get("health", "Health_Live", HealthHandlers.Live),
        Get("health/ready", "Health_Ready", HealthHandlers.Ready),
        Get("health/detailed", "Health_Detailed", HealthHandlers.Detailed),

        Post("auth/login", "Auth_Login", AuthHandlers.Login),
        Post("auth/refresh", "Auth_Refresh", AuthHandlers.Refresh),
        Post("auth/logout", "Auth_Logout", AuthHandlers.Logout),
        Post("auth/change-password", "Auth_ChangePassword", AuthHandlers.ChangePassword),

        Get("users", "Users_List", UsersHandlers.List),
        Post("users", "Users_Create", UsersHandlers.Create),
        Get("users/me", "Users_Me", UsersHandlers.Me),
        Get("users/{id}", "Users_Get", WithId(UsersHandlers.Get)),
        Patch("users/{id}", "Users_Update", WithId(UsersHandlers.Update)),
        Delete("users/{id}", "Users_Delete", WithId(UsersHandlers.Delete)),

        Get("audit", "Audit_List", AuditHandlers.List),
        Get("audit/export", "Audit_Export", AuditHandlers.Export),
    ];

    private static ApiRoute Get(string p, string n, Func<HttpRequest, Task<IResult>> h) => new("GET", p, n, h);
    private static ApiRoute Post(string p, string n, Func<HttpRequest, Task<IResult>> h) => new("POST", p, n, h);
    private static ApiRoute Patch(string p, string n, Func<HttpRequest, Task<IResult>> h) => new("PATCH", p, n, h);
    private static ApiRoute Delete(string p, string n, Func<HttpRequest, Task<IResult>> h) => new("DELETE", p, n, h);

    /// <summary>Adapts an (HttpRequest, id) handler to read {id} from the route values (Kestrel fills them).</summary>
    private static Func<HttpRequest, Task<IResult>> WithId(Func<HttpRequest, string?, Task<IResult>> h) =>
        req => h(req, req.RouteValues["id"]?.ToString());
}
