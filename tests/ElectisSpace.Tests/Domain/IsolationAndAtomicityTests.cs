using System.Net;
using System.Net.Http.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Domain;

public sealed class IsolationAndAtomicityTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Another_organizations_rows_are_404_for_every_entity_and_never_listed()
    {
        var owner = await app.CreateOrgAsync();
        var other = await app.CreateOrgAsync();
        var space = await owner.Admin.CreateSpaceAsync("D1");
        var person = await owner.Admin.CreatePersonAsync("Ada");
        var room = await owner.Admin.CreateRoomAsync("C1");
        var list = await HttpAssert.Status(await owner.Admin.PostAsJsonAsync("/api/people/lists", new { name = "L" }), HttpStatusCode.Created);
        var c = other.Admin;

        foreach (var (path, id) in new[] { ("spaces", space.Id()), ("people", person.Id()), ("conference", room.Id()), ("people/lists", list.Id()) })
        {
            await HttpAssert.Status(await c.GetAsync($"/api/{path}/{id}"), HttpStatusCode.NotFound, "NOT_FOUND");
            await HttpAssert.Status(await c.DeleteAsync($"/api/{path}/{id}"), HttpStatusCode.NotFound, "NOT_FOUND");
            var listed = await HttpAssert.Status(await c.GetAsync($"/api/{path}"), HttpStatusCode.OK);
            Assert.Equal(0, listed.GetProperty("pagination").GetProperty("total").GetInt32());
        }
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/spaces/{space.Id()}", new { templateName = "x" }), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/people/{person.Id()}", new { data = new { a = "b" } }), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await c.PostAsync($"/api/conference/{room.Id()}/toggle", null), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await c.PostAsync($"/api/people/lists/{list.Id()}/load", null), HttpStatusCode.NotFound, "NOT_FOUND");

        // Seating someone of my organization in another organization's space is a 404 as well.
        var mine = await c.CreatePersonAsync("Grace");
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/people/{mine.Id()}/assign", new { spaceId = space.Id() }), HttpStatusCode.NotFound, "NOT_FOUND");
        var settings = await HttpAssert.Status(await owner.Admin.PatchAsJsonAsync("/api/settings", new { aims = new { company = "OWNER" } }), HttpStatusCode.OK);
        var theirs = await HttpAssert.Status(await c.GetAsync("/api/settings"), HttpStatusCode.OK);
        Assert.NotEqual("OWNER", theirs.GetProperty("aims").Str("company"));
        _ = settings;
    }

    [Fact]
    public async Task A_failure_after_the_entity_write_leaves_no_entity_no_audit_and_no_outbox_row()
    {
        var org = await app.CreateOrgAsync();
        // A database trigger refuses one specific audit row: the space and outbox rows are already written by then,
        // in the same transaction, and must disappear with it.
        await app.ExecAsync("""
            CREATE OR REPLACE FUNCTION refuse_marked_audit() RETURNS trigger AS $$
            BEGIN
              IF NEW.new_data::text LIKE '%FAIL-AFTER-WRITE%' THEN RAISE EXCEPTION 'forced failure for the atomicity test'; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_marked_audit BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION refuse_marked_audit();
            """);
        try
        {
            var res = await org.Admin.PostAsJsonAsync("/api/spaces", new { externalId = "ATOM-1", labelCode = "ATOMLBL", data = new { marker = "FAIL-AFTER-WRITE" } });
            var body = await HttpAssert.Status(res, HttpStatusCode.InternalServerError, "INTERNAL_ERROR");
            Assert.DoesNotContain("forced failure", body.GetRawText()); // no SQL or database text leaks
            Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o", new { o = org.OrgId }));
            Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @o", new { o = org.OrgId }));
            Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM label_assignments WHERE org_id = @o", new { o = org.OrgId }));
            Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND entity_type = 'space'", new { o = org.OrgId }));

            // The same request without the marker goes through: the failure was the forced one.
            await org.Admin.CreateSpaceAsync("ATOM-1", "ATOMLBL");
            Assert.Equal(2, await app.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @o", new { o = org.OrgId }));
        }
        finally
        {
            await app.ExecAsync("DROP TRIGGER refuse_marked_audit ON audit_logs");
        }
    }

    [Fact]
    public async Task Viewer_can_read_everything_and_mutate_nothing()
    {
        var org = await app.CreateOrgAsync();
        var space = await org.Admin.CreateSpaceAsync("D1");
        var person = await org.Admin.CreatePersonAsync("Ada");
        var room = await org.Admin.CreateRoomAsync("C1");
        var viewer = await org.ClientForRoleAsync("viewer");
        foreach (var path in new[] { "spaces", $"spaces/{space.Id()}", "people", $"people/{person.Id()}", "conference", $"conference/{room.Id()}", "people/lists" })
            await HttpAssert.Status(await viewer.GetAsync($"/api/{path}"), HttpStatusCode.OK);
        var writes = new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Post, "spaces", new { externalId = "V1" }), (HttpMethod.Patch, $"spaces/{space.Id()}", new { templateName = "t" }),
            (HttpMethod.Delete, $"spaces/{space.Id()}", null), (HttpMethod.Post, $"spaces/{space.Id()}/assign-label", new { labelCode = "ABC123" }),
            (HttpMethod.Post, "people", new { data = new { name = "x" } }), (HttpMethod.Patch, $"people/{person.Id()}", new { data = new { a = "b" } }),
            (HttpMethod.Delete, $"people/{person.Id()}", null), (HttpMethod.Post, $"people/{person.Id()}/assign", new { spaceId = space.Id() }),
            (HttpMethod.Delete, $"people/{person.Id()}/unassign", null), (HttpMethod.Post, "people/lists", new { name = "L" }),
            (HttpMethod.Post, "conference", new { externalId = "C2", roomName = "R" }), (HttpMethod.Patch, $"conference/{room.Id()}", new { roomName = "R" }),
            (HttpMethod.Delete, $"conference/{room.Id()}", null), (HttpMethod.Post, $"conference/{room.Id()}/toggle", null),
            (HttpMethod.Post, $"conference/{room.Id()}/flip-page", null), (HttpMethod.Patch, "settings", new { pullIntervalMinutes = 9 }),
        };
        var before = await app.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @o", new { o = org.OrgId });
        foreach (var (method, path, body) in writes)
        {
            var req = new HttpRequestMessage(method, $"/api/{path}") { Content = body is null ? null : JsonContent.Create(body) };
            await HttpAssert.Status(await viewer.SendAsync(req), HttpStatusCode.Forbidden, "FORBIDDEN");
        }
        Assert.Equal(before, await app.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @o", new { o = org.OrgId }));
    }
}
