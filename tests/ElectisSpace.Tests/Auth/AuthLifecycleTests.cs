using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace ElectisSpace.Tests.Auth;

public sealed class AuthLifecycleTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Ten_failed_logins_lock_the_account_with_a_clear_message()
    {
        var org = await app.CreateOrgAsync();
        using var c = app.Client();
        for (var i = 0; i < 9; i++)
            await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/login", new { email = org.AdminEmail, password = "Wrong-passw0rd" }),
                HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var tenth = await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/login", new { email = org.AdminEmail, password = "Wrong-passw0rd" }),
            HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Contains("locked", tenth.GetProperty("error").GetProperty("message").GetString());
        // Even the right password is refused while locked.
        var right = await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/login", new { email = org.AdminEmail, password = TestApp.AdminPassword }),
            HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Contains("locked", right.GetProperty("error").GetProperty("message").GetString());
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        Assert.Equal(10, await conn.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = 'login_failed'", new { org.OrgId }));
    }

    [Fact]
    public async Task Logout_revokes_the_refresh_token_and_clears_the_cookie()
    {
        var org = await app.CreateOrgAsync();
        var login = await org.LoginAsync(org.AdminEmail, TestApp.AdminPassword);
        using var c = app.Client();
        var res = await c.PostAsJsonAsync("/api/auth/logout", new { refreshToken = login.RefreshToken });
        Assert.Equal(HttpStatusCode.NoContent, res.StatusCode);
        Assert.Contains(res.Headers.GetValues("Set-Cookie"), h => h.StartsWith("refreshToken=;", StringComparison.Ordinal));
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = login.RefreshToken }), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Refresh_token_is_accepted_from_the_cookie()
    {
        var org = await app.CreateOrgAsync();
        var login = await org.LoginAsync(org.AdminEmail, TestApp.AdminPassword);
        using var c = app.Client();
        var req = new HttpRequestMessage(HttpMethod.Post, "/api/auth/refresh");
        req.Headers.Add("Cookie", $"refreshToken={login.RefreshToken}");
        var body = await HttpAssert.Status(await c.SendAsync(req), HttpStatusCode.OK);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("accessToken").GetString()));
    }

    [Fact]
    public async Task Change_password_enforces_policy_and_revokes_every_refresh_token()
    {
        var org = await app.CreateOrgAsync();
        var (_, email, token) = await org.CreateUserAsync("manager");
        var other = await org.LoginAsync(email, "User-Passw0rd");
        using var c = app.Client(token);
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/change-password", new { currentPassword = "User-Passw0rd", newPassword = "weak" }),
            HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/change-password", new { currentPassword = "Not-the-0ne", newPassword = "Better-Passw0rd" }),
            HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/auth/change-password", new { currentPassword = "User-Passw0rd", newPassword = "Better-Passw0rd" }),
            HttpStatusCode.OK);
        await HttpAssert.Status(await app.Client().PostAsJsonAsync("/api/auth/refresh", new { refreshToken = other.RefreshToken }),
            HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await org.LoginAsync(email, "Better-Passw0rd");
    }

    [Fact]
    public async Task Expired_access_token_is_401_token_expired()
    {
        var org = await app.CreateOrgAsync();
        var handler = new JsonWebTokenHandler();
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(TestApp.DefaultSettings("")["Jwt:SigningKey"]));
        var expired = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "electisspace-tests", Audience = "electisspace-tests",
            IssuedAt = DateTime.UtcNow.AddMinutes(-30), NotBefore = DateTime.UtcNow.AddMinutes(-30), Expires = DateTime.UtcNow.AddMinutes(-15),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object> { ["sub"] = org.AdminId.ToString(), ["org"] = org.OrgId.ToString(), ["role"] = "admin" },
        });
        await HttpAssert.Status(await app.Client(expired).GetAsync("/api/users/me"), HttpStatusCode.Unauthorized, "TOKEN_EXPIRED");
    }

    [Fact]
    public async Task Deactivated_user_cannot_use_tokens_log_in_or_refresh()
    {
        var org = await app.CreateOrgAsync();
        var (id, email, token) = await org.CreateUserAsync("viewer");
        var login = await org.LoginAsync(email, "User-Passw0rd");
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/users/{id}", new { isActive = false }), HttpStatusCode.OK);
        await HttpAssert.Status(await app.Client(token).GetAsync("/api/users/me"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HttpAssert.Status(await app.Client().PostAsJsonAsync("/api/auth/login", new { email, password = "User-Passw0rd" }),
            HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HttpAssert.Status(await app.Client().PostAsJsonAsync("/api/auth/refresh", new { refreshToken = login.RefreshToken }),
            HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }
}

/// <summary>The production rate limits (5 logins and 10 refreshes a minute).</summary>
public sealed class ProductionLimitsApp : TestApp
{
    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings =>
        [new("RateLimits:LoginPerMinute", "5"), new("RateLimits:RefreshPerMinute", "10")];
}

public sealed class RateLimitTests(ProductionLimitsApp app) : IClassFixture<ProductionLimitsApp>
{
    [Fact]
    public async Task Sixth_login_in_a_minute_is_429_with_retry_after()
    {
        await RateWindow.FreshMinuteAsync();
        using var c = app.Client();
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized,
                (await c.PostAsJsonAsync("/api/auth/login", new { email = $"someone{i}@example.test", password = "Whatever1x" })).StatusCode);
        var res = await c.PostAsJsonAsync("/api/auth/login", new { email = "someone@example.test", password = "Whatever1x" });
        await HttpAssert.Status(res, HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        var retryAfter = int.Parse(res.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 60);
    }

    [Fact]
    public async Task Eleventh_refresh_in_a_minute_is_429()
    {
        await RateWindow.FreshMinuteAsync();
        var statuses = new List<HttpStatusCode>();
        using var c = new HttpClient(new SocketsHttpHandler(), disposeHandler: true) { BaseAddress = app.BaseAddress };
        for (var i = 0; i < 11; i++)
            statuses.Add((await c.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = "not-a-token" })).StatusCode);
        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[10]);
    }
}
