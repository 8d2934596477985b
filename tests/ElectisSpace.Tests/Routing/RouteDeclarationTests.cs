using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using ElectisSpace.Core.Routing;
using ElectisSpace.Core.Users;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace ElectisSpace.Tests.Routing;

/// <summary>
/// A route's authentication and permission are declared once, in the route table; the pipeline takes them from the
/// route the host serves, and a handler reached without a route never runs.
/// </summary>
public sealed class RouteDeclarationTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task A_handler_called_without_a_route_fails_closed_even_for_an_admin()
    {
        var org = await app.CreateOrgAsync();
        foreach (var call in new Func<HttpRequest, Task<Microsoft.AspNetCore.Http.IResult>>[] { UsersHandlers.List, UsersHandlers.Create, UsersHandlers.Me, AuthHandlers.Login })
        {
            var answer = await DirectCall.InvokeAsync(app.Services, "POST", "/api/users", call, org.AdminToken,
                """{"email":"x@example.test","password":"Str0ng-Passw0rd","role":"viewer"}""");
            Assert.Equal(500, answer.Status);
            Assert.Equal(ErrorCodes.Internal, answer.ErrorCode);
        }
        // Users_Create's body never ran: the user does not exist.
        var list = await HttpAssert.Status(await org.Admin.GetAsync("/api/users?search=x@example.test"), System.Net.HttpStatusCode.OK);
        Assert.Equal(0, list.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task The_permission_demanded_is_the_route_tables()
    {
        var org = await app.CreateOrgAsync();
        var viewer = (await org.CreateUserAsync("viewer")).Token;
        var route = ApiRoutes.Named("Users_List");
        Assert.Equal(Permission.UsersManage, route.Permission);

        var refused = await DirectCall.InvokeAsync(app.Services, "GET", "/api/users", r => ApiRoutes.Serve(route, r), viewer);
        Assert.Equal(403, refused.Status);
        Assert.Equal(ErrorCodes.Forbidden, refused.ErrorCode);

        // The same handler under a route declaring a permission viewers hold: the handler itself declares nothing.
        var relaxed = route with { Permission = Permission.SpacesRead };
        var served = await DirectCall.InvokeAsync(app.Services, "GET", "/api/users", r => ApiRoutes.Serve(relaxed, r), viewer);
        Assert.Equal(200, served.Status);
        Assert.True(served.Json.GetProperty("pagination").GetProperty("total").GetInt32() >= 2);

        // And a Bearer route without a token is 401 before any permission or body.
        var anonymous = await DirectCall.InvokeAsync(app.Services, "GET", "/api/users", r => ApiRoutes.Serve(route, r));
        Assert.Equal(401, anonymous.Status);
        Assert.Equal(ErrorCodes.Unauthorized, anonymous.ErrorCode);
    }

    [Fact]
    public void Every_bearer_route_declares_its_permission_or_is_open_to_every_role_on_purpose()
    {
        // Routes any signed-in user may call are exactly these; every other Bearer route names its permission.
        string[] anyRole = ["Auth_ChangePassword", "Users_Me"];
        var open = ApiRoutes.All.Where(r => r.Auth == RouteAuth.Bearer && r.Permission is null).Select(r => r.Name).Order().ToArray();
        Assert.Equal(anyRole, open);
    }
}
