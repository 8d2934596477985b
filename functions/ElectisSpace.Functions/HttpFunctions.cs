using ElectisSpace.Core.Audit;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Conference;
using ElectisSpace.Core.Health;
using ElectisSpace.Core.People;
using ElectisSpace.Core.Settings;
using ElectisSpace.Core.Spaces;
using ElectisSpace.Core.Sync;
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

    [Function("Health_Aims")]
    public static Task<IResult> Aims([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/aims")] HttpRequest req) => HealthHandlers.Aims(req);

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

public static class SpacesFunctions
{
    [Function("Spaces_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "spaces")] HttpRequest req) => SpacesHandlers.List(req);

    [Function("Spaces_Create")]
    public static Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "spaces")] HttpRequest req) => SpacesHandlers.Create(req);

    [Function("Spaces_Import")]
    public static Task<IResult> Import([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "spaces/import")] HttpRequest req) => SpacesHandlers.Import(req);

    [Function("Spaces_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "spaces/{id}")] HttpRequest req, string id) => SpacesHandlers.Get(req, id);

    [Function("Spaces_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "spaces/{id}")] HttpRequest req, string id) => SpacesHandlers.Update(req, id);

    [Function("Spaces_Delete")]
    public static Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "spaces/{id}")] HttpRequest req, string id) => SpacesHandlers.Delete(req, id);

    [Function("Spaces_AssignLabel")]
    public static Task<IResult> AssignLabel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "spaces/{id}/assign-label")] HttpRequest req, string id) => SpacesHandlers.AssignLabel(req, id);
}

public static class PeopleFunctions
{
    [Function("People_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people")] HttpRequest req) => PeopleHandlers.List(req);

    [Function("People_Create")]
    public static Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people")] HttpRequest req) => PeopleHandlers.Create(req);

    [Function("People_Import")]
    public static Task<IResult> Import([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people/import")] HttpRequest req) => PeopleHandlers.Import(req);

    [Function("People_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people/{id}")] HttpRequest req, string id) => PeopleHandlers.Get(req, id);

    [Function("People_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "people/{id}")] HttpRequest req, string id) => PeopleHandlers.Update(req, id);

    [Function("People_Delete")]
    public static Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "people/{id}")] HttpRequest req, string id) => PeopleHandlers.Delete(req, id);

    [Function("People_Assign")]
    public static Task<IResult> Assign([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people/{id}/assign")] HttpRequest req, string id) => PeopleHandlers.Assign(req, id);

    [Function("People_Unassign")]
    public static Task<IResult> Unassign([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "people/{id}/unassign")] HttpRequest req, string id) => PeopleHandlers.Unassign(req, id);
}

public static class PeopleListsFunctions
{
    [Function("PeopleLists_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people/lists")] HttpRequest req) => PeopleListsHandlers.List(req);

    [Function("PeopleLists_Create")]
    public static Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people/lists")] HttpRequest req) => PeopleListsHandlers.Create(req);

    [Function("PeopleLists_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "people/lists/{id}")] HttpRequest req, string id) => PeopleListsHandlers.Get(req, id);

    [Function("PeopleLists_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "people/lists/{id}")] HttpRequest req, string id) => PeopleListsHandlers.Update(req, id);

    [Function("PeopleLists_Delete")]
    public static Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "people/lists/{id}")] HttpRequest req, string id) => PeopleListsHandlers.Delete(req, id);

    [Function("PeopleLists_Load")]
    public static Task<IResult> Load([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "people/lists/{id}/load")] HttpRequest req, string id) => PeopleListsHandlers.Load(req, id);
}

public static class ConferenceFunctions
{
    [Function("Conference_List")]
    public static Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "conference")] HttpRequest req) => ConferenceHandlers.List(req);

    [Function("Conference_Create")]
    public static Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "conference")] HttpRequest req) => ConferenceHandlers.Create(req);

    [Function("Conference_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "conference/{id}")] HttpRequest req, string id) => ConferenceHandlers.Get(req, id);

    [Function("Conference_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "conference/{id}")] HttpRequest req, string id) => ConferenceHandlers.Update(req, id);

    [Function("Conference_Delete")]
    public static Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "conference/{id}")] HttpRequest req, string id) => ConferenceHandlers.Delete(req, id);

    [Function("Conference_Toggle")]
    public static Task<IResult> Toggle([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "conference/{id}/toggle")] HttpRequest req, string id) => ConferenceHandlers.Toggle(req, id);

    [Function("Conference_FlipPage")]
    public static Task<IResult> FlipPage([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "conference/{id}/flip-page")] HttpRequest req, string id) => ConferenceHandlers.FlipPage(req, id);
}

public static class SettingsFunctions
{
    [Function("Settings_Get")]
    public static Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "settings")] HttpRequest req) => SettingsHandlers.Get(req);

    [Function("Settings_Update")]
    public static Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "settings")] HttpRequest req) => SettingsHandlers.Update(req);
}

public static class SyncHttpFunctions
{
    [Function("Sync_Status")]
    public static Task<IResult> Status([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "sync/status")] HttpRequest req) => SyncHandlers.Status(req);

    [Function("Sync_DeadLetters")]
    public static Task<IResult> DeadLetters([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "sync/dead-letters")] HttpRequest req) => SyncHandlers.DeadLettersList(req);

    [Function("Sync_RetryDeadLetter")]
    public static Task<IResult> RetryDeadLetter([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "sync/dead-letters/{id:guid}/retry")] HttpRequest req, string id) => SyncHandlers.RetryDeadLetter(req, id);
}
