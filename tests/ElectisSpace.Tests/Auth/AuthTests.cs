using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Tests.Auth;

public sealed class AuthTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Login_returns_tokens_user_and_a_secure_refresh_cookie_and_is_audited()
    {
        var org = await app.CreateOrgAsync();
        var login = await org.LoginAsync(org.AdminEmail, TestApp.AdminPassword);
        Assert.Equal(900, login.ExpiresIn);
        Assert.Equal("admin", login.User.GetProperty("role").GetString());
        Assert.Equal(org.Code, login.User.GetProperty("organization").GetProperty("code").GetString());
        var cookie = Assert.Single(login.Response.Headers.GetValues("Set-Cookie"));
        Assert.Contains("refreshToken=" + login.RefreshToken, cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        var me = await HttpAssert.Status(await app.Client(login.AccessToken).GetAsync("/api/users/me"), HttpStatusCode.OK);
        Assert.Equal(org.AdminEmail, me.GetProperty("email").GetString());
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        Assert.True(await conn.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = 'login'", new { org.OrgId }) >= 2);
    }

    [Fact]
    public async Task Unknown_email_and_wrong_password_give_the_same_401()
    {
        var org = await app.CreateOrgAsync();
        using var c = app.Client();
        var unknown = await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/login",
            new { email = "nobody@example.test", password = "Whatever1x" }), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var wrong = await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/login",
            new { email = org.AdminEmail, password = "Wrong-passw0rd" }), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal(unknown.GetProperty("error").GetProperty("message").GetString(), wrong.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Refresh_rotates_and_reusing_a_rotated_token_revokes_the_family()
    {
        var org = await app.CreateOrgAsync();
        var login = await org.LoginAsync(org.AdminEmail, TestApp.AdminPassword);
        using var c = app.Client();
        var first = await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = login.RefreshToken }), HttpStatusCode.OK);
        var second = first.GetProperty("refreshToken").GetString()!;
        Assert.NotEqual(login.RefreshToken, second);

        // The old token again: theft detected, the family (including the new token) is revoked.
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = login.RefreshToken }), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = second }), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Malformed_json_wrong_types_and_missing_fields_are_400_with_the_envelope()
    {
        using var c = app.Client();
        await HttpAssert.Status(await c.PostAsync("/api/auth/login", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsync("/api/auth/login", new StringContent("{\"email\": 5, \"password\": []}", System.Text.Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var missing = await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/login", new { email = "a@b.cd" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains(missing.GetProperty("error").GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == "password");
    }

    [Fact]
    public async Task Oversize_body_is_413()
    {
        using var c = app.Client();
        var big = new string('x', 1024 * 1024 + 10);
        await HttpAssert.Status(await c.PostAsync("/api/auth/login", new StringContent($"{{\"email\":\"{big}\"}}", System.Text.Encoding.UTF8, "application/json")),
            HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
    }

    [Fact]
    public async Task Tampered_and_missing_tokens_are_401_unauthorized()
    {
        var org = await app.CreateOrgAsync();
        var token = org.AdminToken;
        var tampered = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        await HttpAssert.Status(await app.Client(tampered).GetAsync("/api/users/me"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HttpAssert.Status(await app.Client().GetAsync("/api/users/me"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }
}
