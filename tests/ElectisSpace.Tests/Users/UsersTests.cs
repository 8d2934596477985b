using System.Net;
using System.Net.Http.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Users;

public sealed class UsersTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Create_without_password_returns_a_temporary_password_once_that_works()
    {
        var org = await app.CreateOrgAsync();
        var email = $"temp-{Guid.NewGuid():N}@example.test";
        var body = await HttpAssert.Status(await org.Admin.PostAsJsonAsync("/api/users", new { email, role = "manager" }), HttpStatusCode.Created);
        var temp = body.GetProperty("temporaryPassword").GetString()!;
        Assert.Equal("manager", body.GetProperty("user").GetProperty("role").GetString());
        await org.LoginAsync(email, temp);
        var id = body.GetProperty("user").GetProperty("id").GetString();
        var again = await HttpAssert.Status(await org.Admin.GetAsync($"/api/users/{id}"), HttpStatusCode.OK);
        Assert.False(again.TryGetProperty("temporaryPassword", out _));
    }

    [Fact]
    public async Task Email_is_unique_per_organization_but_not_across()
    {
        var a = await app.CreateOrgAsync();
        var b = await app.CreateOrgAsync();
        var email = $"dup-{Guid.NewGuid():N}@example.test";
        await HttpAssert.Status(await a.Admin.PostAsJsonAsync("/api/users", new { email, password = "Some-Passw0rd" }), HttpStatusCode.Created);
        await HttpAssert.Status(await a.Admin.PostAsJsonAsync("/api/users", new { email = email.ToUpperInvariant(), password = "Some-Passw0rd" }),
            HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await b.Admin.PostAsJsonAsync("/api/users", new { email, password = "Some-Passw0rd" }), HttpStatusCode.Created);
    }

    [Fact]
    public async Task Bad_input_is_400_and_unknown_enum_value_is_400()
    {
        var org = await app.CreateOrgAsync();
        await HttpAssert.Status(await org.Admin.PostAsJsonAsync("/api/users", new { email = "not-an-email" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await org.Admin.PostAsJsonAsync("/api/users", new { email = "x@example.test", role = "superuser" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await org.Admin.PostAsJsonAsync("/api/users", new { email = "y@example.test", password = "short" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await org.Admin.GetAsync("/api/users?limit=101"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await org.Admin.GetAsync("/api/users?role=owner"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task List_filters_by_role_and_search_and_paginates()
    {
        var org = await app.CreateOrgAsync();
        for (var i = 0; i < 3; i++) await org.CreateUserAsync("viewer");
        var (_, managerEmail, _) = await org.CreateUserAsync("manager");
        var viewers = await HttpAssert.Status(await org.Admin.GetAsync("/api/users?role=viewer&limit=2&page=2"), HttpStatusCode.OK);
        Assert.Equal(3, viewers.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.Equal(2, viewers.GetProperty("pagination").GetProperty("totalPages").GetInt32());
        Assert.Single(viewers.GetProperty("data").EnumerateArray());
        var found = await HttpAssert.Status(await org.Admin.GetAsync($"/api/users?search={managerEmail[..12]}"), HttpStatusCode.OK);
        Assert.Equal(managerEmail, Assert.Single(found.GetProperty("data").EnumerateArray()).GetProperty("email").GetString());
    }

    [Fact]
    public async Task An_admin_cannot_demote_deactivate_or_delete_themself()
    {
        var org = await app.CreateOrgAsync();
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/users/{org.AdminId}", new { role = "viewer" }), HttpStatusCode.UnprocessableEntity, "BUSINESS_ERROR");
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/users/{org.AdminId}", new { isActive = false }), HttpStatusCode.UnprocessableEntity, "BUSINESS_ERROR");
        await HttpAssert.Status(await org.Admin.DeleteAsync($"/api/users/{org.AdminId}"), HttpStatusCode.UnprocessableEntity, "BUSINESS_ERROR");
    }

    [Fact]
    public async Task The_last_active_admin_cannot_be_removed_or_demoted()
    {
        var org = await app.CreateOrgAsync();
        var (otherId, _, otherToken) = await org.CreateUserAsync("admin");
        var other = app.Client(otherToken);
        // Two admins: the other admin may demote the first...
        await HttpAssert.Status(await other.PatchAsJsonAsync($"/api/users/{org.AdminId}", new { role = "manager" }), HttpStatusCode.OK);
        // ...and now the other is the last admin: the (now manager) first can't act, and nobody can demote the last admin.
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/users/{otherId}", new { role = "viewer" }), HttpStatusCode.Forbidden, "FORBIDDEN");
        org.AdminToken = otherToken; // the remaining admin acts from here on
        var (thirdId, _, thirdToken) = await org.CreateUserAsync("manager");
        await HttpAssert.Status(await other.PatchAsJsonAsync($"/api/users/{thirdId}", new { role = "admin" }), HttpStatusCode.OK);
        await HttpAssert.Status(await app.Client(thirdToken).PatchAsJsonAsync($"/api/users/{otherId}", new { isActive = false }), HttpStatusCode.OK);
        // third is now the only active admin: another admin-less org member cannot remove them, and they can't remove themself.
        await HttpAssert.Status(await app.Client(thirdToken).DeleteAsync($"/api/users/{thirdId}"), HttpStatusCode.UnprocessableEntity, "BUSINESS_ERROR");
    }

    [Fact]
    public async Task Two_admins_demoting_each_other_at_once_leave_one_admin()
    {
        var org = await app.CreateOrgAsync();
        var (otherId, _, otherToken) = await org.CreateUserAsync("admin");
        var results = await Task.WhenAll(
            org.Admin.PatchAsJsonAsync($"/api/users/{otherId}", new { role = "viewer" }),
            app.Client(otherToken).PatchAsJsonAsync($"/api/users/{org.AdminId}", new { role = "viewer" }));
        Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(results, r => r.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.Forbidden);
        await using var conn = new Npgsql.NpgsqlConnection(app.ConnectionString);
        Assert.Equal(1, await Dapper.SqlMapper.ExecuteScalarAsync<int>(conn,
            "SELECT count(*) FROM users WHERE org_id = @OrgId AND role = 'admin' AND is_active", new { org.OrgId }));
    }

    [Fact]
    public async Task Another_organizations_user_is_404_never_403_or_visible()
    {
        var a = await app.CreateOrgAsync();
        var b = await app.CreateOrgAsync();
        var (id, _, _) = await a.CreateUserAsync("viewer");
        await HttpAssert.Status(await b.Admin.GetAsync($"/api/users/{id}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await b.Admin.PatchAsJsonAsync($"/api/users/{id}", new { role = "admin" }), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await b.Admin.DeleteAsync($"/api/users/{id}"), HttpStatusCode.NotFound, "NOT_FOUND");
        var list = await HttpAssert.Status(await b.Admin.GetAsync("/api/users?limit=100"), HttpStatusCode.OK);
        Assert.DoesNotContain(list.GetProperty("data").EnumerateArray(), u => u.GetProperty("id").GetString() == id.ToString());
    }

    [Fact]
    public async Task Role_change_takes_effect_on_the_next_request()
    {
        var org = await app.CreateOrgAsync();
        var (id, _, token) = await org.CreateUserAsync("admin");
        await HttpAssert.Status(await app.Client(token).GetAsync("/api/users"), HttpStatusCode.OK);
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/users/{id}", new { role = "viewer" }), HttpStatusCode.OK);
        await HttpAssert.Status(await app.Client(token).GetAsync("/api/users"), HttpStatusCode.Forbidden, "FORBIDDEN");
    }
}
