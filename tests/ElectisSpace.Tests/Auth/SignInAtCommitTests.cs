using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using Dapper;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Auth;

/// <summary>
/// A write's sign-in check goes to PostgreSQL in the batch of its commit (Api.RunWrite, PendingSignIn.CommitCheck): one
/// round trip fewer. The check still decides what it decides on its own — an ended session, a deactivated user and a
/// role without the permission, as the database has them now, are refused — and a refused write keeps nothing.
/// </summary>
public sealed class SignInAtCommitTests(TestApp app) : IClassFixture<TestApp>
{
    private static HttpRequestMessage Post(string url, object? body = null) =>
        new(HttpMethod.Post, url) { Content = body is null ? null : JsonContent.Create(body) };

    [Fact]
    public async Task A_write_sends_the_sign_in_check_in_its_commit_batch_not_on_its_own()
    {
        var org = await app.CreateOrgAsync();
        using var c = org.Admin;
        var room = await c.CreateRoomAsync("R-1");
        var space = await c.CreateSpaceAsync("S-1");

        var (created, sent) = await NpgsqlTrace.SendAsync(c, Post("/api/people", new { data = new { name = "Ada" } }));
        var ada = await HttpAssert.Status(created, HttpStatusCode.Created);
        Assert.Equal(2, sent.Count); // the insert, then the check with the outbox and audit rows and COMMIT
        Assert.DoesNotContain("refresh_tokens", sent[0]);
        Assert.Contains("refresh_tokens", sent[1]);
        Assert.Contains("audit_logs", sent[1]);
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM people WHERE org_id = @OrgId", new { org.OrgId }));

        // assign: the space and person locks with the occupant, the update, the commit; toggle: the lock with the update, the commit
        foreach (var (request, roundTrips) in new[] { (Post($"/api/people/{ada.Id()}/assign", new { spaceId = space.Id() }), 3), (Post($"/api/conference/{room.Id()}/toggle"), 2) })
        {
            var (res, commands) = await NpgsqlTrace.SendAsync(c, request);
            await HttpAssert.Status(res, HttpStatusCode.OK);
            Assert.Equal(roundTrips, commands.Count);
            Assert.Single(commands, s => s.Contains("refresh_tokens"));
            Assert.Contains("refresh_tokens", commands[^1]);
        }
        Assert.Equal(space.Id(), (await c.GetFromJsonAsync<JsonElement>($"/api/people/{ada.Id()}")).GetProperty("assignedSpaceId").GetGuid());
    }

    [Fact]
    public async Task A_deactivated_user_or_an_ended_session_gets_401_and_writes_nothing()
    {
        var org = await app.CreateOrgAsync();
        var (userId, email, token) = await org.CreateUserAsync("manager");
        using var manager = app.Client(token);
        var person = await manager.CreatePersonAsync("Grace");
        var room = await manager.CreateRoomAsync("R-2");
        var space = await manager.CreateSpaceAsync("S-2");
        var writes = new Func<HttpRequestMessage>[]
        {
            () => Post("/api/people", new { data = new { name = "Never" } }),
            () => Post("/api/people", new { data = "not an object" }),            // a 400 otherwise: the 401 comes first
            () => Post($"/api/people/{Guid.NewGuid()}/assign", new { spaceId = space.Id() }), // a 404 otherwise
            () => Post($"/api/people/{person.Id()}/assign", new { spaceId = space.Id() }),
            () => Post($"/api/conference/{room.Id()}/toggle"),
            () => new HttpRequestMessage(HttpMethod.Delete, $"/api/spaces/{space.Id()}"),
        };
        const string everything = """
            SELECT (SELECT count(*) FROM people WHERE org_id = @OrgId) + (SELECT count(*) FROM audit_logs WHERE org_id = @OrgId)
                 + (SELECT count(*) FROM sync_queue WHERE org_id = @OrgId) + (SELECT count(*) FROM spaces WHERE org_id = @OrgId)
                 + (SELECT sum(version) FROM conference_rooms WHERE org_id = @OrgId) + (SELECT count(*) FROM people WHERE assigned_space_id IS NOT NULL AND org_id = @OrgId)
            """;
        var before = await app.CountAsync(everything, new { org.OrgId });

        await app.ExecAsync("UPDATE users SET is_active = false WHERE id = @userId", new { userId });
        foreach (var write in writes)
        {
            var error = await HttpAssert.Status(await manager.SendAsync(write()), HttpStatusCode.Unauthorized);
            Assert.Contains("deactivated", error.GetProperty("error").GetProperty("message").GetString());
        }
        Assert.Equal(before, await app.CountAsync(everything, new { org.OrgId }));

        // A session that ended (logout revokes its refresh tokens) is refused the same way.
        await app.ExecAsync("UPDATE users SET is_active = true WHERE id = @userId", new { userId });
        var session = await org.LoginAsync(email, "User-Passw0rd");
        using var other = app.Client(session.AccessToken);
        await HttpAssert.Status(await other.PostAsJsonAsync("/api/people", new { data = new { name = "Kept" } }), HttpStatusCode.Created);
        using (var logout = app.Client(session.AccessToken))
            await HttpAssert.Status(await logout.PostAsJsonAsync("/api/auth/logout", new { refreshToken = session.RefreshToken }), HttpStatusCode.NoContent);
        var afterLogin = await app.CountAsync(everything, new { org.OrgId });
        foreach (var write in writes)
        {
            var error = await HttpAssert.Status(await other.SendAsync(write()), HttpStatusCode.Unauthorized);
            Assert.Contains("session has ended", error.GetProperty("error").GetProperty("message").GetString());
        }
        Assert.Equal(afterLogin, await app.CountAsync(everything, new { org.OrgId }));
    }

    [Fact]
    public async Task The_role_that_decides_is_the_databases_at_the_commit()
    {
        var org = await app.CreateOrgAsync();
        var (managerId, _, managerToken) = await org.CreateUserAsync("manager");
        var (viewerId, _, viewerToken) = await org.CreateUserAsync("viewer");
        using var manager = app.Client(managerToken);
        using var viewer = app.Client(viewerToken);
        using var admin = org.Admin;
        async Task<long> Named(string name) =>
            await app.CountAsync("SELECT count(*) FROM people WHERE org_id = @OrgId AND data->>'name' = @name", new { org.OrgId, name });

        // The token says manager, the database now says viewer: refused at the commit, nothing kept.
        await app.ExecAsync("UPDATE users SET role = 'viewer' WHERE id = @managerId", new { managerId });
        await HttpAssert.Status(await manager.PostAsJsonAsync("/api/people", new { data = new { name = "Demoted" } }), HttpStatusCode.Forbidden, "FORBIDDEN");
        Assert.Equal(0, await Named("Demoted"));

        // The token says viewer, the database now says manager: the check runs first and lets the write through.
        await app.ExecAsync("UPDATE users SET role = 'manager' WHERE id = @viewerId", new { viewerId });
        await HttpAssert.Status(await viewer.PostAsJsonAsync("/api/people", new { data = new { name = "Promoted" } }), HttpStatusCode.Created);
        Assert.Equal(1, await Named("Promoted"));

        // An admin made manager still writes people (the database's role has the permission), and nothing else changes.
        await app.ExecAsync("UPDATE users SET role = 'manager' WHERE id = @AdminId", new { org.AdminId });
        await HttpAssert.Status(await admin.PostAsJsonAsync("/api/people", new { data = new { name = "Still" } }), HttpStatusCode.Created);
        Assert.Equal(1, await Named("Still"));
        await HttpAssert.Status(await admin.PostAsJsonAsync("/api/users", new { email = "x@example.test", password = "User-Passw0rd", role = "viewer" }),
            HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task While_a_check_rides_with_commits_a_statement_outside_a_transaction_waits_for_it_and_a_refused_commit_keeps_nothing()
    {
        // Db's side of Api.RunWrite, for bodies that do more than their handlers do today: a refused caller runs nothing.
        var org = await app.CreateOrgAsync();
        await app.ExecAsync("UPDATE users SET is_active = false WHERE id = @AdminId", new { org.AdminId });
        const string lists = "SELECT count(*) FROM people_lists WHERE org_id = @OrgId";
        var signIn = new PendingSignIn(new CurrentUser(org.AdminId, org.OrgId, Role.Admin, org.AdminEmail), Permission.PeopleWrite);
        signIn.RideWithCommits();
        try
        {
            const string insert = "INSERT INTO people_lists (org_id, name) VALUES (@OrgId, 'Never')";
            var outside = await Assert.ThrowsAsync<ApiException>(() => app.Db.ReadAsync(c => c.ExecuteAsync(insert, new { org.OrgId })));
            Assert.Equal(401, outside.Status);
            Assert.False(signIn.Passed);

            var inside = await Assert.ThrowsAsync<ApiException>(() => app.Db.InTransactionAsync((c, tx) => c.ExecuteAsync(insert, new { org.OrgId }, tx)));
            Assert.Equal(503, inside.Status); // refused at commit; Api.Run would answer the 401 from the check run on its own
            Assert.Equal(0, await app.CountAsync(lists, new { org.OrgId }));
        }
        finally
        {
            signIn.StopRiding();
        }

        // Ridden no more (the request ended): the same statements are not checked.
        await app.Db.InTransactionAsync((c, tx) => c.ExecuteAsync("INSERT INTO people_lists (org_id, name) VALUES (@OrgId, 'After')", new { org.OrgId }, tx));
        Assert.Equal(1, await app.CountAsync(lists, new { org.OrgId }));
    }
}
