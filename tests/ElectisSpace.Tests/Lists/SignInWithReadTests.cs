using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Lists;

/// <summary>
/// A list page nobody asked for before is read with the caller's sign-in check in the same batch (Api.RunList,
/// PendingSignIn): one round trip. The check still decides everything it decides on its own: who is signed in, their
/// role as the database has it now, and whether a refused caller learns anything, even about their query string.
/// </summary>
public sealed class SignInWithReadTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task A_page_asked_for_the_first_time_is_read_in_one_round_trip_with_the_sign_in_check()
    {
        var org = await app.CreateOrgAsync();
        using var c = org.Admin;
        await c.CreatePersonAsync("Ada Lovelace");
        await c.CreatePersonAsync("Grace Hopper");

        var (res, commands) = await NpgsqlTrace.GetAsync(c, "/api/people?search=love&limit=5");
        var page = await HttpAssert.Status(res, HttpStatusCode.OK);
        Assert.Equal("Ada Lovelace", page.GetProperty("data").EnumerateArray().Single().GetProperty("data").GetProperty("name").GetString());
        Assert.Equal(1, page.GetProperty("pagination").GetProperty("total").GetInt32());
        var batch = Assert.Single(commands); // the check, the page and its count: one batch
        Assert.Contains("refresh_tokens", batch);
        Assert.Contains("people", batch);

        // The same for the other lists served this way.
        foreach (var url in new[] { "/api/spaces?limit=3", "/api/conference?limit=3", "/api/users?limit=3" })
        {
            var (other, sent) = await NpgsqlTrace.GetAsync(c, url);
            await HttpAssert.Status(other, HttpStatusCode.OK);
            Assert.Single(sent);
        }
    }

    [Fact]
    public async Task The_role_is_the_databases_not_the_tokens_when_the_check_rides_with_the_page()
    {
        var org = await app.CreateOrgAsync();
        using var admin = org.Admin; // its token says admin
        await app.ExecAsync("UPDATE users SET role = 'manager' WHERE id = @id", new { id = org.AdminId });

        var (res, commands) = await NpgsqlTrace.GetAsync(admin, $"/api/users?limit=7&search={Guid.NewGuid():N}");
        var body = await HttpAssert.Status(res, HttpStatusCode.Forbidden, "FORBIDDEN");
        Assert.False(body.TryGetProperty("data", out _));
        Assert.Single(commands); // refused after the batch that carried the check, with nothing of it sent

        // Managers read people: the same token now reads a first-time people page.
        await HttpAssert.Status(await admin.GetAsync($"/api/people?limit=3&search={Guid.NewGuid():N}"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_ended_session_or_a_deactivated_user_gets_401_on_a_first_time_page_and_before_any_query_string_error()
    {
        var org = await app.CreateOrgAsync();
        var (userId, email, token) = await org.CreateUserAsync("viewer");
        using var viewer = app.Client(token);
        await HttpAssert.Status(await viewer.GetAsync("/api/people?limit=2"), HttpStatusCode.OK);
        await HttpAssert.Status(await viewer.GetAsync("/api/people?limit=0"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        await app.ExecAsync("UPDATE users SET is_active = false WHERE id = @id", new { id = userId });
        foreach (var url in new[] { $"/api/people?limit=2&search={Guid.NewGuid():N}", "/api/spaces?limit=4", "/api/conference?limit=0", "/api/people?sort=nope" })
        {
            var (res, _) = await NpgsqlTrace.GetAsync(viewer, url);
            var error = await HttpAssert.Status(res, HttpStatusCode.Unauthorized);
            Assert.Contains("deactivated", error.GetProperty("error").GetProperty("message").GetString());
        }

        // A session that ended (the user's refresh tokens revoked, as logout does) is refused the same way.
        await app.ExecAsync("UPDATE users SET is_active = true WHERE id = @id", new { id = userId });
        var session = await org.LoginAsync(email, "User-Passw0rd");
        using var other = app.Client(session.AccessToken);
        await HttpAssert.Status(await other.GetAsync($"/api/spaces?limit=9&search={Guid.NewGuid():N}"), HttpStatusCode.OK);
        using (var logout = app.Client(session.AccessToken))
            await HttpAssert.Status(await logout.PostAsJsonAsync("/api/auth/logout", new { refreshToken = session.RefreshToken }), HttpStatusCode.NoContent);
        var ended = await HttpAssert.Status(await other.GetAsync($"/api/spaces?limit=8&search={Guid.NewGuid():N}"), HttpStatusCode.Unauthorized);
        Assert.Contains("session has ended", ended.GetProperty("error").GetProperty("message").GetString());
        await HttpAssert.Status(await other.GetAsync("/api/spaces?limit=999"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_first_time_page_is_kept_under_the_counter_its_batch_read_and_a_later_change_is_seen()
    {
        var org = await app.CreateOrgAsync();
        using var c = org.Admin;
        var ada = await c.CreatePersonAsync("Ada");
        const string url = "/api/people?limit=4&sort=name";
        static string Names(JsonElement page) => string.Join(",", page.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("data").GetProperty("name").GetString()));

        Assert.Equal("Ada", Names(await HttpAssert.Status(await c.GetAsync(url), HttpStatusCode.OK)));
        Assert.Equal("Ada", Names(await HttpAssert.Status(await c.GetAsync(url), HttpStatusCode.OK))); // built twice: kept
        var (kept, sent) = await NpgsqlTrace.GetAsync(c, url);
        Assert.Equal("Ada", Names(await HttpAssert.Status(kept, HttpStatusCode.OK)));
        Assert.DoesNotContain(sent, s => s.Contains("FROM people")); // served kept: the check alone went out

        await app.ExecAsync("""UPDATE people SET data = '{"name": "Grace"}' WHERE id = @id""", new { id = ada.Id() });
        Assert.Equal("Grace", Names(await HttpAssert.Status(await c.GetAsync(url), HttpStatusCode.OK)));
    }
}
