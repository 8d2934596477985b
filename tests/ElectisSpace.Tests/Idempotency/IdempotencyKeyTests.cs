using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ElectisSpace.Core.Sync.Push;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Idempotency;

/// <summary>Idempotency-Key on POST and DELETE: a retry replays the first answer and changes nothing (issue 36).</summary>
public sealed class IdempotencyKeyTests(TestApp app) : IClassFixture<TestApp>
{
    internal static async Task<HttpResponseMessage> SendAsync(HttpClient c, HttpMethod method, string url, Func<HttpContent?> content, string? key)
    {
        var req = new HttpRequestMessage(method, url) { Content = content() };
        if (key is not null) req.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return await c.SendAsync(req);
    }

    internal static Func<HttpContent?> Json(object body) => () => JsonContent.Create(body);

    internal static bool Replayed(HttpResponseMessage res) =>
        res.Headers.TryGetValues("Idempotent-Replayed", out var v) && v.Single() == "true";

    private static Task<long> PeopleNamed(TestApp app, Guid orgId, string name) =>
        app.CountAsync("SELECT count(*) FROM people WHERE org_id = @orgId AND data->>'name' = @name", new { orgId, name });

    [Fact]
    public async Task Fifty_concurrent_creates_with_one_key_make_one_person_one_audit_row_and_one_outbox_job()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var key = Guid.NewGuid().ToString();
        var name = "Concurrent " + key;
        var start = new TaskCompletionSource();
        var sends = Enumerable.Range(0, 50).Select(async _ =>
        {
            await start.Task;
            var res = await SendAsync(c, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key);
            return (res, Text: await res.Content.ReadAsStringAsync());
        }).ToList();
        start.SetResult();
        var answers = await Task.WhenAll(sends);

        var created = answers.Where(a => a.res.StatusCode == HttpStatusCode.Created).ToList();
        var inUse = answers.Where(a => a.res.StatusCode == HttpStatusCode.Conflict).ToList();
        Assert.Equal(50, created.Count + inUse.Count);
        Assert.Single(created, a => !Replayed(a.res));
        var first = created.Single(a => !Replayed(a.res));
        Assert.All(created, a => Assert.Equal(first.Text, a.Text));
        Assert.All(created, a => Assert.Equal(first.res.Headers.ETag, a.res.Headers.ETag));
        foreach (var (res, text) in inUse)
        {
            Assert.Equal("IDEMPOTENCY_KEY_IN_USE", JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("code").GetString());
            Assert.NotNull(res.Headers.RetryAfter);
        }

        var id = JsonDocument.Parse(first.Text).RootElement.Id();
        Assert.Equal(1, await PeopleNamed(app, org.OrgId, name));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND entity_id = @id", new { o = org.OrgId, id = id.ToString() }));
        Assert.Single(await app.OutboxAsync(org.OrgId, id));

        // Once it has finished, every retry is a replay.
        var late = await SendAsync(c, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key);
        Assert.Equal(HttpStatusCode.Created, late.StatusCode);
        Assert.True(Replayed(late));
        Assert.Equal(first.Text, await late.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Concurrent_imports_with_one_key_import_once()
    {
        // Imports claim the key before they run: a duplicate in flight is 409 IDEMPOTENCY_KEY_IN_USE, never a second import.
        var org = await app.CreateOrgAsync();
        var key = Guid.NewGuid().ToString();
        var start = new TaskCompletionSource();
        var sends = Enumerable.Range(0, 10).Select(async _ =>
        {
            await start.Task;
            var content = new StringContent("name,department\nParallel One,R&D\n", new UTF8Encoding(false));
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
            return await SendAsync(org.Admin, HttpMethod.Post, "/api/people/import", () => content, key);
        }).ToList();
        start.SetResult();
        var answers = await Task.WhenAll(sends);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK && !Replayed(a));
        foreach (var a in answers.Where(a => a.StatusCode == HttpStatusCode.Conflict))
        {
            await HttpAssert.Status(a, HttpStatusCode.Conflict, "IDEMPOTENCY_KEY_IN_USE");
            Assert.NotNull(a.Headers.RetryAfter);
        }
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND action = 'import'", new { o = org.OrgId }));
        Assert.Equal(1, await PeopleNamed(app, org.OrgId, "Parallel One"));
    }

    [Fact]
    public async Task A_key_reused_for_another_body_or_route_is_refused_and_changes_nothing()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var key = "reuse-" + Guid.NewGuid();
        await HttpAssert.Status(await SendAsync(c, HttpMethod.Post, "/api/people", Json(new { data = new { name = "Ada" } }), key), HttpStatusCode.Created);

        await HttpAssert.Status(await SendAsync(c, HttpMethod.Post, "/api/people", Json(new { data = new { name = "Bob" } }), key),
            HttpStatusCode.UnprocessableEntity, "IDEMPOTENCY_KEY_REUSED");
        await HttpAssert.Status(await SendAsync(c, HttpMethod.Post, "/api/spaces", Json(new { externalId = "D-REUSE", data = new { roomName = "x" } }), key),
            HttpStatusCode.UnprocessableEntity, "IDEMPOTENCY_KEY_REUSED");
        Assert.Equal(0, await PeopleNamed(app, org.OrgId, "Bob"));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o", new { o = org.OrgId }));
    }

    [Fact]
    public async Task The_same_key_from_another_user_is_independent()
    {
        var org = await app.CreateOrgAsync();
        var manager = await org.ClientForRoleAsync("manager");
        var key = "shared-" + Guid.NewGuid();
        var name = "Twice " + key;
        var a = await SendAsync(org.Admin, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key);
        var b = await SendAsync(manager, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key);
        Assert.Equal(HttpStatusCode.Created, a.StatusCode);
        Assert.Equal(HttpStatusCode.Created, b.StatusCode);
        Assert.False(Replayed(b));
        Assert.Equal(2, await PeopleNamed(app, org.OrgId, name));
    }

    [Fact]
    public async Task Delete_assign_toggle_and_import_replay_without_acting_twice()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;

        // DELETE: the replay is the first 204, not a 404.
        var person = await c.CreatePersonAsync("Leaving");
        var key = Guid.NewGuid().ToString();
        for (var i = 0; i < 2; i++)
        {
            var res = await SendAsync(c, HttpMethod.Delete, $"/api/people/{person.Id()}", () => null, key);
            Assert.Equal(HttpStatusCode.NoContent, res.StatusCode);
            Assert.Equal(i == 1, Replayed(res));
        }

        // Assign: one audit row.
        var desk = await c.CreateSpaceAsync("D-IDEM");
        var seated = await c.CreatePersonAsync("Seated");
        key = Guid.NewGuid().ToString();
        var bodies = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var res = await SendAsync(c, HttpMethod.Post, $"/api/people/{seated.Id()}/assign", Json(new { spaceId = desk.Id() }), key);
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            Assert.Equal(i == 1, Replayed(res));
            bodies.Add(await res.Content.ReadAsStringAsync());
        }
        Assert.Equal(bodies[0], bodies[1]);
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND action = 'assign'", new { o = org.OrgId }));

        // Toggle: without the key a retry would turn the meeting off again.
        var room = await c.CreateRoomAsync("C-IDEM");
        key = Guid.NewGuid().ToString();
        for (var i = 0; i < 2; i++)
        {
            var res = await SendAsync(c, HttpMethod.Post, $"/api/conference/{room.Id()}/toggle", Json(new { meetingName = "Standup" }), key);
            var body = await HttpAssert.Status(res, HttpStatusCode.OK);
            Assert.True(body.GetProperty("hasMeeting").GetBoolean());
            Assert.Equal(i == 1, Replayed(res));
        }
        var now = await HttpAssert.Status(await c.GetAsync($"/api/conference/{room.Id()}"), HttpStatusCode.OK);
        Assert.True(now.GetProperty("hasMeeting").GetBoolean());

        // CSV import: one import, one audit row, the same report.
        key = Guid.NewGuid().ToString();
        Func<HttpContent?> csv = () =>
        {
            var content = new StringContent("name,department\nImported One,R&D\nImported Two,Ops\n", new UTF8Encoding(false));
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
            return content;
        };
        bodies.Clear();
        for (var i = 0; i < 2; i++)
        {
            var res = await SendAsync(c, HttpMethod.Post, "/api/people/import", csv, key);
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            Assert.Equal(i == 1, Replayed(res));
            bodies.Add(await res.Content.ReadAsStringAsync());
        }
        Assert.Equal(bodies[0], bodies[1]);
        Assert.Equal(1, await PeopleNamed(app, org.OrgId, "Imported One"));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND action = 'import'", new { o = org.OrgId }));
    }

    [Fact]
    public async Task A_4xx_answer_is_kept_and_replayed()
    {
        var org = await app.CreateOrgAsync();
        var key = Guid.NewGuid().ToString();
        var missing = Guid.NewGuid();
        for (var i = 0; i < 2; i++)
        {
            var res = await SendAsync(org.Admin, HttpMethod.Delete, $"/api/people/{missing}", () => null, key);
            await HttpAssert.Status(res, HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Equal(i == 1, Replayed(res));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("tab\there")]
    [InlineData("long")]
    public async Task An_invalid_key_is_a_validation_error_and_changes_nothing(string key)
    {
        if (key == "long") key = new string('k', 256);
        var org = await app.CreateOrgAsync();
        var res = await SendAsync(org.Admin, HttpMethod.Post, "/api/people", Json(new { data = new { name = "Invalid key" } }), key);
        var body = await HttpAssert.Status(res, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("Idempotency-Key", body.GetProperty("error").GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(0, await PeopleNamed(app, org.OrgId, "Invalid key"));

        // 255 visible characters are fine.
        var longest = await SendAsync(org.Admin, HttpMethod.Post, "/api/people", Json(new { data = new { name = "Longest key" } }), new string('~', 255));
        Assert.Equal(HttpStatusCode.Created, longest.StatusCode);
    }

    [Fact]
    public async Task A_5xx_answer_is_not_kept_and_the_retry_runs_anew()
    {
        var org = await app.CreateOrgAsync();
        var name = "Boom " + Guid.NewGuid();
        // An unexpected database failure for this one name: the API answers 500.
        await app.ExecAsync($"""
            CREATE FUNCTION boom_{org.OrgId:N}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.data->>'name' = '{name}' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER boom_{org.OrgId:N} BEFORE INSERT ON people FOR EACH ROW EXECUTE FUNCTION boom_{org.OrgId:N}();
            """);
        var key = Guid.NewGuid().ToString();
        try
        {
            var failed = await SendAsync(org.Admin, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key);
            await HttpAssert.Status(failed, HttpStatusCode.InternalServerError, "INTERNAL_ERROR");
            Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM idempotency_keys WHERE org_id = @o", new { o = org.OrgId }));
        }
        finally
        {
            await app.ExecAsync($"DROP TRIGGER boom_{org.OrgId:N} ON people; DROP FUNCTION boom_{org.OrgId:N}();");
        }
        var retried = await SendAsync(org.Admin, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.False(Replayed(retried));
        Assert.Equal(1, await PeopleNamed(app, org.OrgId, name));
    }

    [Fact]
    public async Task The_answer_is_replayed_by_a_restarted_host_on_the_same_database()
    {
        var org = await app.CreateOrgAsync();
        var key = Guid.NewGuid().ToString();
        var name = "Restart " + key;
        var settings = TestApp.DefaultSettings(app.ConnectionString);

        string firstBody;
        EntityTagHeaderValue? firstETag;
        var (host, address) = await TestApp.StartHostAsync(settings, migrate: false);
        await using (host)
        {
            using var c = new HttpClient { BaseAddress = address };
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", org.AdminToken);
            var res = await SendAsync(c, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key);
            Assert.Equal(HttpStatusCode.Created, res.StatusCode);
            firstBody = await res.Content.ReadAsStringAsync();
            firstETag = res.Headers.ETag;
            Assert.NotNull(firstETag);
        }

        (host, address) = await TestApp.StartHostAsync(settings, migrate: false);
        await using (host)
        {
            using var c = new HttpClient { BaseAddress = address };
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", org.AdminToken);
            var res = await SendAsync(c, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key);
            Assert.Equal(HttpStatusCode.Created, res.StatusCode);
            Assert.True(Replayed(res));
            Assert.Equal(firstBody, await res.Content.ReadAsStringAsync());
            Assert.Equal(firstETag, res.Headers.ETag);
            Assert.Equal("application/json", res.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(1, await PeopleNamed(app, org.OrgId, name));
    }

    [Fact]
    public async Task A_claim_whose_instance_died_is_taken_over_after_its_lease()
    {
        // An instance claimed the key and died before its commit: nothing was kept, so after the lease the retry runs.
        var org = await app.CreateOrgAsync();
        var key = Guid.NewGuid().ToString();
        var name = "Orphan " + key;
        var first = await SendAsync(org.Admin, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        // Turn the kept answer back into a bare claim, as a crash before the commit leaves it.
        await app.ExecAsync("UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL, locked_until = now() + interval '1 hour' WHERE key = @key", new { key });
        await app.ExecAsync("DELETE FROM people WHERE org_id = @o AND data->>'name' = @name", new { o = org.OrgId, name });

        await HttpAssert.Status(await SendAsync(org.Admin, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key),
            HttpStatusCode.Conflict, "IDEMPOTENCY_KEY_IN_USE");
        await app.ExecAsync("UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = @key", new { key });
        var retried = await SendAsync(org.Admin, HttpMethod.Post, "/api/people", Json(new { data = new { name } }), key);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.False(Replayed(retried));
        Assert.Equal(1, await PeopleNamed(app, org.OrgId, name));
    }
}

/// <summary>Keys kept for two seconds only, to see them expire.</summary>
public sealed class ShortLivedKeysApp : TestApp
{
    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings => [new("Idempotency:RetentionSeconds", "2")];
}

public sealed class IdempotencyKeyExpiryTests(ShortLivedKeysApp app) : IClassFixture<ShortLivedKeysApp>
{
    [Fact]
    public async Task An_expired_key_is_new_again_and_the_sweeper_purges_it()
    {
        var org = await app.CreateOrgAsync();
        var key = Guid.NewGuid().ToString();
        var name = "Expiring " + key;
        var first = await IdempotencyKeyTests.SendAsync(org.Admin, HttpMethod.Post, "/api/people", IdempotencyKeyTests.Json(new { data = new { name } }), key);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var replay = await IdempotencyKeyTests.SendAsync(org.Admin, HttpMethod.Post, "/api/people", IdempotencyKeyTests.Json(new { data = new { name } }), key);
        Assert.True(IdempotencyKeyTests.Replayed(replay));

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await app.Services.GetRequiredService<PushSweeper>().SweepAsync();
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM idempotency_keys WHERE org_id = @o", new { o = org.OrgId }));

        // A different body is no reuse any more: the key is new.
        var again = await IdempotencyKeyTests.SendAsync(org.Admin, HttpMethod.Post, "/api/people", IdempotencyKeyTests.Json(new { data = new { name, department = "Ops" } }), key);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.False(IdempotencyKeyTests.Replayed(again));
        Assert.Equal(2, await app.CountAsync("SELECT count(*) FROM people WHERE org_id = @o AND data->>'name' = @name", new { o = org.OrgId, name }));
    }
}
