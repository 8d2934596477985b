using System.Net;
using System.Text;
using System.Text.Json;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Permissions;

/// <summary>
/// The whole role × permission matrix. Every row checks the one authorization decision (Permissions.Demand) for its
/// role and permission, and calls every route that declares the permission as that role: a denied role gets
/// 403 FORBIDDEN; an allowed one gets a 2xx, a documented alternate status, or one of the route's documented 4xx codes
/// (never 403, never a 500).
/// </summary>
public sealed class PermissionMatrixTests(TestApp app) : IClassFixture<TestApp>
{
    public static IEnumerable<object[]> Matrix() =>
        from role in new[] { "admin", "manager", "viewer" }
        from perm in Enum.GetValues<Permission>()
        select new object[] { role, perm.ToString() };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Every_route_answers_403_exactly_when_the_role_lacks_its_permission(string role, string permission)
    {
        var perm = Enum.Parse<Permission>(permission);
        var r = Enum.Parse<Role>(role, ignoreCase: true);
        var allowed = ElectisSpace.Core.Auth.Permissions.Allows(r, perm);

        // The decision itself, for every permission (also those no route declares yet, e.g. sync).
        var user = new CurrentUser(Guid.NewGuid(), Guid.NewGuid(), r, "someone@example.test");
        var refusal = Record.Exception(() => ElectisSpace.Core.Auth.Permissions.Demand(user, perm));
        if (allowed) Assert.Null(refusal);
        else Assert.Equal(ErrorCodes.Forbidden, Assert.IsType<ApiException>(refusal).Code);

        // Then every route declaring it, over HTTP as that role.
        HttpClient? client = null;
        foreach (var route in ApiRoutes.All.Where(x => x.Permission == perm))
        {
            client ??= await (await app.CreateOrgAsync()).ClientForRoleAsync(role);
            var url = RouteUrl.For(route);
            var req = new HttpRequestMessage(new HttpMethod(route.Method), url);
            if (route.Method is "POST" or "PATCH" or "PUT") req.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            // Headers only: the event stream (GET /api/events) answers 200 and then streams until closed.
            using var res = await client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
            if (allowed) await AssertAllowedAnswer(route, res, $"{role} {route.Method} {url}");
            else await HttpAssert.Status(res, HttpStatusCode.Forbidden, "FORBIDDEN");
        }
    }

    /// <summary>A 2xx, a documented alternate status, or a documented 4xx of the route in the envelope.</summary>
    private static async Task AssertAllowedAnswer(ApiRoute route, HttpResponseMessage res, string what)
    {
        var status = (int)res.StatusCode;
        if (status is >= 200 and < 300 || route.AlternateStatuses.Contains(status)) return;
        var text = await res.Content.ReadAsStringAsync();
        Assert.True(status is >= 400 and < 500, $"{what}: {status} {text}");
        var code = JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("code").GetString()!;
        var documented = OpenApiDocument.ErrorCodesOf(route).Where(c => c != ErrorCodes.Forbidden).ToList();
        Assert.True(documented.Contains(code) && ErrorCodes.Status(code) == status,
            $"{what}: {status} {code} is not one of the route's documented answers [{string.Join(", ", documented)}]");
    }

    [Fact]
    public void The_matrix_is_the_designed_one()
    {
        Assert.All(Enum.GetValues<Permission>(), p => Assert.True(ElectisSpace.Core.Auth.Permissions.Allows(Role.Admin, p)));
        Permission[] manager = [Permission.SpacesRead, Permission.SpacesWrite, Permission.PeopleRead, Permission.PeopleWrite,
            Permission.ConferenceRead, Permission.ConferenceWrite, Permission.SettingsRead, Permission.SyncView, Permission.SyncTrigger];
        Permission[] viewer = [Permission.SpacesRead, Permission.PeopleRead, Permission.ConferenceRead, Permission.SyncView];
        foreach (var p in Enum.GetValues<Permission>())
        {
            Assert.Equal(manager.Contains(p), ElectisSpace.Core.Auth.Permissions.Allows(Role.Manager, p));
            Assert.Equal(viewer.Contains(p), ElectisSpace.Core.Auth.Permissions.Allows(Role.Viewer, p));
        }
    }

    [Fact]
    public async Task Every_non_public_route_refuses_a_missing_token()
    {
        using var c = app.Client();
        foreach (var route in ApiRoutes.All.Where(r => r.Auth == RouteAuth.Bearer))
        {
            var req = new HttpRequestMessage(new HttpMethod(route.Method), RouteUrl.For(route));
            await HttpAssert.Status(await c.SendAsync(req), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }
    }
}
