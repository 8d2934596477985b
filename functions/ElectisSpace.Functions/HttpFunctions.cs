using ElectisSpace.Core.Audit;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Health;
using ElectisSpace.Core.Users;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace ElectisSpace.Functions;

// One thin trigger per entry of ApiRoutes.All (a test checks parity). With ASP.NET Core integration the worker
// executes the IResult a function returns against the HttpContext (FunctionsHttpProxyingMiddleware).

public static class HealthFunctions
{
    [Function("Health_Live")]
    public static Task<IResult> Live([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest req) => HealthHandlers.Live(req);

    [Function("Health_Ready")]
    public static Task<IResult> Ready([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/ready")] HttpRequest req) => HealthHandlers.Ready(req);

    [Function("Health_Detailed")]
    public static Task<IResult> Detailed([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/detailed")] HttpRequest req) => HealthHandlers.Detailed(req);
}

public static class AuthFunctions
{
    [Function("Auth_Login")]
    public static Task<IResult> Login([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/login")] HttpRequest req) => AuthHandlers.Login(req);

    [Function("Auth_Refresh")]
    public static Task<IResult> Refresh([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/refresh")] HttpRequest req) => AuthHandlers.Refresh(req);

    [Function("Auth_Logout")]
    public static Task<IResult> Logout([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/logout")] HttpRequest req) => AuthHandlers.Logout(req);

    [Function("Auth_ChangePassword")]
    public static Task<IResult> ChangePassword([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/change-password")] HttpRequest req) => AuthHandlers.ChangePassword(req);
}

public static class UsersFunctions
{
    [Function("Users_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users")] HttpRequest req) => UsersHandlers.List(req);

    [Function("Users_Create")]
    public static Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "users")] HttpRequest req) => UsersHandlers.Create(req);

    [Function("Users_Me")]
    public static Task<IResult> Me([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users/me")] HttpRequest req) => UsersHandlers.Me(req);

    [Function("Users_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users/{id}")] HttpRequest req, string id) => UsersHandlers.Get(req, id);

    [Function("Users_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "users/{id}")] HttpRequest req, string id) => UsersHandlers.Update(req, id);

    [Function("Users_Delete")]
    public static Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "users/{id}")] HttpRequest req, string id) => UsersHandlers.Delete(req, id);
}

public static class AuditFunctions
{
    [Function("Audit_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit")] HttpRequest req) => AuditHandlers.List(req);

    [Function("Audit_Export")]
    public static Task<IResult> Export([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit/export")] HttpRequest req) => AuditHandlers.Export(req);
}
