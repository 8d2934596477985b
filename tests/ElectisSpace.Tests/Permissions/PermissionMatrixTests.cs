using System.Net;
using System.Text;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Permissions;

/// <summary>
/// The whole role × permission matrix, driven by the route table: every route that demands a permission is called
/// as each role, and answers 403 FORBIDDEN exactly when the matrix denies that role the permission.
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
        var routes = ApiRoutes.All.Where(r => r.Permission == perm).ToList();
        if (routes.Count == 0) return; // a permission with no route yet (e.g. sync) has nothing to check
        var org = await app.CreateOrgAsync();
        var client = await org.ClientForRoleAsync(role);
        var allowed = ElectisSpace.Core.Auth.Permissions.Allows(Enum.Parse<Role>(role, ignoreCase: true), perm);
        foreach (var route in routes)
        {
            var url = "/api/" + System.Text.RegularExpressions.Regex.Replace(route.Pattern, @"\{id(:\w+)?\}", Guid.NewGuid().ToString());
            var req = new HttpRequestMessage(new HttpMethod(route.Method), url);
            if (route.Method is "POST" or "PATCH" or "PUT") req.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            var res = await client.SendAsync(req);
            if (allowed)
                Assert.True(res.StatusCode != HttpStatusCode.Forbidden, $"{role} was refused {route.Method} {url}");
            else
                await HttpAssert.Status(res, HttpStatusCode.Forbidden, "FORBIDDEN");
        }
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
            var req = new HttpRequestMessage(new HttpMethod(route.Method), "/api/" + System.Text.RegularExpressions.Regex.Replace(route.Pattern, @"\{id(:\w+)?\}", Guid.NewGuid().ToString()));
            await HttpAssert.Status(await c.SendAsync(req), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }
    }
}
