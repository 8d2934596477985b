using System.Net;
using System.Net.Http.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.People;

public sealed class PeopleListsTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Load_applies_the_snapshot_unassigns_everyone_else_and_reports_stale_entries()
    {
        var org = await app.CreateOrgAsync();
        var c = await org.ClientForRoleAsync("manager");
        var d = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => c.CreateSpaceAsync($"D{i}")));
        var p = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => c.CreatePersonAsync($"Person {i}")));
        async Task Seat(int person, int desk) =>
            await c.AssignAsync(p[person].Id(), d[desk].Id());
        await Seat(0, 0); await Seat(1, 1); await Seat(2, 2);

        var monday = await HttpAssert.Status(await c.PostAsJsonAsync("/api/people/lists",
            new { name = "Monday", peopleIds = new[] { p[0].Id(), p[1].Id(), p[2].Id() } }), HttpStatusCode.Created);
        Assert.Equal(3, monday.GetProperty("entryCount").GetInt32());
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/people/lists", new { name = "monday" }), HttpStatusCode.Conflict, "CONFLICT");

        // Things change: person 0 moves to D4, person 3 sits in D2's place... and D3 and person 1 go away.
        await HttpAssert.Status(await c.DeleteAsync($"/api/people/{p[1].Id()}/unassign"), HttpStatusCode.OK);
        await Seat(3, 1);
        await Seat(0, 3);
        await HttpAssert.Status(await c.DeleteAsync($"/api/spaces/{d[2].Id()}"), HttpStatusCode.NoContent);
        await HttpAssert.Status(await c.DeleteAsync($"/api/people/{p[1].Id()}"), HttpStatusCode.NoContent);

        var load = await HttpAssert.Status(await c.PostAsync($"/api/people/lists/{monday.Id()}/load", null), HttpStatusCode.OK);
        var skipped = load.GetProperty("skipped").EnumerateArray().ToList();
        Assert.Equal(2, skipped.Count);
        Assert.Contains(skipped, s => s.GetProperty("personId").GetGuid() == p[1].Id() && s.Str("reason")!.Contains("person"));
        Assert.Contains(skipped, s => s.GetProperty("personId").GetGuid() == p[2].Id() && s.Str("reason")!.Contains("space"));

        async Task<Guid?> SpaceOf(int person)
        {
            var body = await HttpAssert.Status(await c.GetAsync($"/api/people/{p[person].Id()}"), HttpStatusCode.OK);
            return body.Str("assignedSpaceId") is { } s ? Guid.Parse(s) : null;
        }
        Assert.Equal(d[0].Id(), await SpaceOf(0));   // back to the saved desk
        Assert.Null(await SpaceOf(2));               // its desk is gone
        Assert.Null(await SpaceOf(3));               // not in the list: unassigned
        var p3 = await HttpAssert.Status(await c.GetAsync($"/api/people/{p[3].Id()}"), HttpStatusCode.OK);
        Assert.StartsWith("POOL-", p3.Str("virtualSpaceId"));

        // Loading again changes nothing.
        var again = await HttpAssert.Status(await c.PostAsync($"/api/people/lists/{monday.Id()}/load", null), HttpStatusCode.OK);
        Assert.Equal(0, again.GetProperty("changed").GetInt32());

        var members = await HttpAssert.Status(await c.GetAsync($"/api/people?listId={monday.Id()}"), HttpStatusCode.OK);
        Assert.Equal(2, members.GetProperty("pagination").GetProperty("total").GetInt32()); // person 1 was deleted
    }

    [Fact]
    public async Task Load_queues_each_seated_persons_space_after_the_persons_own_jobs()
    {
        // As a single assign does: the POOL article's delete first, then the space that now shows the person, so the
        // outbox ends on the final state (AssignmentInvariants). Loading used to queue the spaces first.
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var desk = await c.CreateSpaceAsync("LQ-1");
        var ada = await c.CreatePersonAsync("Ada");
        await c.AssignAsync(ada.Id(), desk.Id());
        var list = (await HttpAssert.Status(await c.PostAsJsonAsync("/api/people/lists", new { name = "seating" }), HttpStatusCode.Created)).Id();
        await HttpAssert.Status(await c.DeleteAsync($"/api/people/{ada.Id()}/unassign"), HttpStatusCode.OK);

        await HttpAssert.Status(await c.PostAsync($"/api/people/lists/{list}/load", null), HttpStatusCode.OK);

        await ElectisSpace.Tests.Concurrency.AssignmentInvariants.AssertAsync(app, org.OrgId, [], perPersonAudit: false);
    }

    [Fact]
    public async Task List_search_is_contains_and_case_insensitive_over_names()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        foreach (var name in new[] { "Monday Team", "ÉCOLE days", "50% Friday", "Tuesday" })
            await HttpAssert.Status(await c.PostAsJsonAsync("/api/people/lists", new { name }), HttpStatusCode.Created);
        async Task<List<string?>> Search(string text)
        {
            var page = await HttpAssert.Status(await c.GetAsync($"/api/people/lists?search={Uri.EscapeDataString(text)}"), HttpStatusCode.OK);
            return page.GetProperty("data").EnumerateArray().Select(l => l.Str("name")).ToList();
        }
        Assert.Equal(["Monday Team"], await Search("monday"));
        Assert.Equal(["Monday Team"], await Search("DAY TEAM"));
        Assert.Equal(["ÉCOLE days"], await Search("école"));
        Assert.Equal(["50% Friday"], await Search("0%"));
        Assert.Equal(["50% Friday", "Monday Team", "Tuesday", "ÉCOLE days"], (await Search("DAY")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Lists_crud_validation_and_viewer_cannot_write()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var person = await c.CreatePersonAsync("Solo");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/people/lists", new { name = "" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/people/lists", new { name = "X", peopleIds = new[] { Guid.NewGuid() } }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var all = await HttpAssert.Status(await c.PostAsJsonAsync("/api/people/lists", new { name = "Everyone" }), HttpStatusCode.Created);
        Assert.Equal(1, all.GetProperty("entryCount").GetInt32());
        var got = await HttpAssert.Status(await c.GetAsync($"/api/people/lists/{all.Id()}"), HttpStatusCode.OK);
        Assert.Equal(person.Id(), Assert.Single(got.GetProperty("entries").EnumerateArray()).GetProperty("personId").GetGuid());
        var renamed = await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/people/lists/{all.Id()}", new { name = "All hands", version = 1 }), HttpStatusCode.OK);
        Assert.Equal("All hands", renamed.Str("name"));
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/people/lists/{all.Id()}", new { name = "Again", version = 1 }), HttpStatusCode.Conflict, "CONFLICT");
        var listed = await HttpAssert.Status(await c.GetAsync("/api/people/lists"), HttpStatusCode.OK);
        Assert.Single(listed.GetProperty("data").EnumerateArray());

        var viewer = await org.ClientForRoleAsync("viewer");
        await HttpAssert.Status(await viewer.GetAsync($"/api/people/lists/{all.Id()}"), HttpStatusCode.OK);
        await HttpAssert.Status(await viewer.PostAsync($"/api/people/lists/{all.Id()}/load", null), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HttpAssert.Status(await viewer.DeleteAsync($"/api/people/lists/{all.Id()}"), HttpStatusCode.Forbidden, "FORBIDDEN");

        await HttpAssert.Status(await c.DeleteAsync($"/api/people/lists/{all.Id()}"), HttpStatusCode.NoContent);
        await HttpAssert.Status(await c.PostAsync($"/api/people/lists/{all.Id()}/load", null), HttpStatusCode.NotFound, "NOT_FOUND");
    }
}
