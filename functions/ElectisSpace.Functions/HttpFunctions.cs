using ElectisSpace.Core.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace ElectisSpace.Functions;

// One thin trigger per entry of ApiRoutes.All, serving it by name: ApiRoutes.Serve hands the route to the pipeline, which
// authenticates and authorizes from the route table alone (tests compare the built functions.metadata with the table and
// call every trigger). Route values ({id}) reach the handler through HttpRequest.RouteValues: the worker routes the
// proxied request with the same templates. With ASP.NET Core integration the worker executes the returned IResult
// against the HttpContext (FunctionsHttpProxyingMiddleware).

public static class HealthFunctions
{
    [Function("Health_Live")]
    public static Task<IResult> Live([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest req) => ApiRoutes.Serve("Health_Live", req);

    [Function("Health_Ready")]
    public static Task<IResult> Ready([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/ready")] HttpRequest req) => ApiRoutes.Serve("Health_Ready", req);

    [Function("Health_Aims")]
    public static Task<IResult> Aims([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/aims")] HttpRequest req) => ApiRoutes.Serve("Health_Aims", req);

    [Function("Health_Detailed")]
    public static Task<IResult> Detailed([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/detailed")] HttpRequest req) => ApiRoutes.Serve("Health_Detailed", req);
}

public static class AuthFunctions
{
    [Function("Auth_Login")]
    public static Task<IResult> Login([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/login")] HttpRequest req) => ApiRoutes.Serve("Auth_Login", req);

    [Function("Auth_Refresh")]
    public static Task<IResult> Refresh([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/refresh")] HttpRequest req) => ApiRoutes.Serve("Auth_Refresh", req);

    [Function("Auth_Logout")]
    public static Task<IResult> Logout([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/logout")] HttpRequest req) => ApiRoutes.Serve("Auth_Logout", req);

    [Function("Auth_ChangePassword")]
    public static Task<IResult> ChangePassword([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/change-password")] HttpRequest req) => ApiRoutes.Serve("Auth_ChangePassword", req);
}

public static class UsersFunctions
{
    [Function("Users_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users")] HttpRequest req) => ApiRoutes.Serve("Users_List", req);

    [Function("Users_Create")]
    public static Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "users")] HttpRequest req) => ApiRoutes.Serve("Users_Create", req);

    [Function("Users_Me")]
    public static Task<IResult> Me([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users/me")] HttpRequest req) => ApiRoutes.Serve("Users_Me", req);

    [Function("Users_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("Users_Get", req);

    [Function("Users_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "users/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("Users_Update", req);

    [Function("Users_Delete")]
    public static Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "users/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("Users_Delete", req);
}

public static class AuditFunctions
{
    [Function("Audit_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit")] HttpRequest req) => ApiRoutes.Serve("Audit_List", req);

    [Function("Audit_Export")]
    public static Task<IResult> Export([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit/export")] HttpRequest req) => ApiRoutes.Serve("Audit_Export", req);
}

public static class SpacesFunctions
{
    [Function("Spaces_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "spaces")] HttpRequest req) => ApiRoutes.Serve("Spaces_List", req);

    [Function("Spaces_Create")]
    public static Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "spaces")] HttpRequest req) => ApiRoutes.Serve("Spaces_Create", req);

    [Function("Spaces_Import")]
    public static Task<IResult> Import([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "spaces/import")] HttpRequest req) => ApiRoutes.Serve("Spaces_Import", req);

    [Function("Spaces_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "spaces/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("Spaces_Get", req);

    [Function("Spaces_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "spaces/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("Spaces_Update", req);

    [Function("Spaces_Delete")]
    public static Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "spaces/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("Spaces_Delete", req);

    [Function("Spaces_AssignLabel")]
    public static Task<IResult> AssignLabel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "spaces/{id:guid}/assign-label")] HttpRequest req) => ApiRoutes.Serve("Spaces_AssignLabel", req);
}

public static class PeopleFunctions
{
    [Function("People_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people")] HttpRequest req) => ApiRoutes.Serve("People_List", req);

    [Function("People_Create")]
    public static Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people")] HttpRequest req) => ApiRoutes.Serve("People_Create", req);

    [Function("People_Export")]
    public static Task<IResult> Export([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people/export")] HttpRequest req) => ApiRoutes.Serve("People_Export", req);

    [Function("People_Import")]
    public static Task<IResult> Import([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people/import")] HttpRequest req) => ApiRoutes.Serve("People_Import", req);

    [Function("People_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("People_Get", req);

    [Function("People_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "people/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("People_Update", req);

    [Function("People_Delete")]
    public static Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "people/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("People_Delete", req);

    [Function("People_Assign")]
    public static Task<IResult> Assign([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people/{id:guid}/assign")] HttpRequest req) => ApiRoutes.Serve("People_Assign", req);

    [Function("People_Unassign")]
    public static Task<IResult> Unassign([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "people/{id:guid}/unassign")] HttpRequest req) => ApiRoutes.Serve("People_Unassign", req);
}

public static class PeopleListsFunctions
{
    [Function("PeopleLists_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people/lists")] HttpRequest req) => ApiRoutes.Serve("PeopleLists_List", req);

    [Function("PeopleLists_Create")]
    public static Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people/lists")] HttpRequest req) => ApiRoutes.Serve("PeopleLists_Create", req);

    [Function("PeopleLists_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people/lists/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("PeopleLists_Get", req);

    [Function("PeopleLists_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "people/lists/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("PeopleLists_Update", req);

    [Function("PeopleLists_Delete")]
    public static Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "people/lists/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("PeopleLists_Delete", req);

    [Function("PeopleLists_Load")]
    public static Task<IResult> Load([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people/lists/{id:guid}/load")] HttpRequest req) => ApiRoutes.Serve("PeopleLists_Load", req);
}

public static class ConferenceFunctions
{
    [Function("Conference_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "conference")] HttpRequest req) => ApiRoutes.Serve("Conference_List", req);

    [Function("Conference_Create")]
    public static Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "conference")] HttpRequest req) => ApiRoutes.Serve("Conference_Create", req);

    [Function("Conference_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "conference/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("Conference_Get", req);

    [Function("Conference_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "conference/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("Conference_Update", req);

    [Function("Conference_Delete")]
    public static Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "conference/{id:guid}")] HttpRequest req) => ApiRoutes.Serve("Conference_Delete", req);

    [Function("Conference_Toggle")]
    public static Task<IResult> Toggle([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "conference/{id:guid}/toggle")] HttpRequest req) => ApiRoutes.Serve("Conference_Toggle", req);

    [Function("Conference_FlipPage")]
    public static Task<IResult> FlipPage([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "conference/{id:guid}/flip-page")] HttpRequest req) => ApiRoutes.Serve("Conference_FlipPage", req);
}

public static class SettingsFunctions
{
    [Function("Settings_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "settings")] HttpRequest req) => ApiRoutes.Serve("Settings_Get", req);

    [Function("Settings_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "settings")] HttpRequest req) => ApiRoutes.Serve("Settings_Update", req);
}

public static class SyncHttpFunctions
{
    [Function("Sync_Status")]
    public static Task<IResult> Status([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "sync/status")] HttpRequest req) => ApiRoutes.Serve("Sync_Status", req);

    [Function("Sync_DeadLetters")]
    public static Task<IResult> DeadLetters([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "sync/dead-letters")] HttpRequest req) => ApiRoutes.Serve("Sync_DeadLetters", req);

    [Function("Sync_RetryDeadLetter")]
    public static Task<IResult> RetryDeadLetter([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "sync/dead-letters/{id:guid}/retry")] HttpRequest req) => ApiRoutes.Serve("Sync_RetryDeadLetter", req);
}

public static class EventsFunctions
{
    // The stream's IResult writes to the worker's HttpResponse as events come; the host forwards the response as written.
    [Function("Events_Stream")]
    public static Task<IResult> Stream([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "events")] HttpRequest req) => ApiRoutes.Serve("Events_Stream", req);

    [Function("Events_Ticket")]
    public static Task<IResult> Ticket([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "events/ticket")] HttpRequest req) => ApiRoutes.Serve("Events_Ticket", req);
}
