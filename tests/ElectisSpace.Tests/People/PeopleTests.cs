using System.Net;
using System.Net.Http.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.People;

public sealed class PeopleTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Data_comes_back_exactly_as_given_in_every_answer_that_shows_it()
    {
        // Answers write the stored data through as PostgreSQL returns it (StoredData): quotes, backslashes, markup,
        // line breaks, non-ASCII and numbers kept as text must read back unchanged everywhere.
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var given = new Dictionary<string, string>
        {
            ["name"] = "Zoë \"Q\" O'Brien \\ <b>&amp;</b>", ["note"] = "line one\nline two\ttabbed", ["emoji"] = "מחלקה 🚀", ["floor"] = "3",
        };
        var created = await HttpAssert.Status(await c.PostAsJsonAsync("/api/people", new { data = given }), HttpStatusCode.Created);
        var id = created.Id();
        var space = await c.CreateSpaceAsync("DATA-1");
        await c.AssignAsync(id, space.Id());

        static Dictionary<string, string> Fields(System.Text.Json.JsonElement data) =>
            data.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(given, Fields(created.GetProperty("data")));
        Assert.Equal(given, Fields((await HttpAssert.Status(await c.GetAsync($"/api/people/{id}"), HttpStatusCode.OK)).GetProperty("data")));
        var page = await HttpAssert.Status(await c.GetAsync("/api/people?search=O'Brien"), HttpStatusCode.OK);
        Assert.Equal(given, Fields(Assert.Single(page.GetProperty("data").EnumerateArray()).GetProperty("data")));
        var export = await HttpAssert.Status(await c.GetAsync("/api/people/export"), HttpStatusCode.OK);
        Assert.Equal(given, Fields(Assert.Single(export.EnumerateArray()).GetProperty("data")));
        var seat = await HttpAssert.Status(await c.GetAsync($"/api/spaces/{space.Id()}"), HttpStatusCode.OK);
        Assert.Equal(given, Fields(seat.GetProperty("assignedPerson").GetProperty("data")));
    }

    [Fact]
    public async Task A_new_person_is_unassigned_with_a_pool_id_and_assign_moves_and_unassign_work()
    {
        var org = await app.CreateOrgAsync();
        var c = await org.ClientForRoleAsync("manager");
        var d1 = await c.CreateSpaceAsync("D1");
        var d2 = await c.CreateSpaceAsync("D2");
        var ada = await c.CreatePersonAsync("Ada Lovelace", "E-1");
        var pool = ada.Str("virtualSpaceId")!;
        Assert.Matches(@"^POOL-\d{4,}$", pool);
        Assert.Null(ada.Str("assignedSpaceId"));

        var seated = await c.AssignAsync(ada.Id(), d1.Id());
        Assert.Equal(d1.Id(), seated.GetProperty("assignedSpaceId").GetGuid());
        Assert.Equal("D1", seated.GetProperty("assignedSpace").GetProperty("externalId").GetString());
        Assert.Null(seated.Str("virtualSpaceId"));

        var moved = await c.AssignAsync(ada.Id(), d2.Id());
        Assert.Equal(d2.Id(), moved.GetProperty("assignedSpaceId").GetGuid());
        var oldSpace = await HttpAssert.Status(await c.GetAsync($"/api/spaces/{d1.Id()}"), HttpStatusCode.OK);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, oldSpace.GetProperty("assignedPerson").ValueKind);

        var freed = await HttpAssert.Status(await c.DeleteAsync($"/api/people/{ada.Id()}/unassign"), HttpStatusCode.OK);
        Assert.Null(freed.Str("assignedSpaceId"));
        Assert.Matches(@"^POOL-\d{4,}$", freed.Str("virtualSpaceId")!);
        Assert.NotEqual(pool, freed.Str("virtualSpaceId")); // POOL numbers are never reused
        await HttpAssert.Status(await c.DeleteAsync($"/api/people/{ada.Id()}/unassign"), (HttpStatusCode)422, "BUSINESS_ERROR");

        // AIMS work: the POOL article goes when seated, each touched desk is re-pushed, a POOL article comes back on unassign.
        var personJobs = await app.OutboxAsync(org.OrgId, ada.Id());
        Assert.Equal(["upsert_article", "delete_article", "upsert_article"], personJobs.Select(j => j.Action));
        Assert.Contains(pool, personJobs[1].Payload);
        Assert.Equal(3, (await app.OutboxAsync(org.OrgId, d1.Id())).Count(j => j.Action == "upsert_article"));

        var filtered = await HttpAssert.Status(await c.GetAsync("/api/people?assigned=false&search=Lovelace"), HttpStatusCode.OK);
        Assert.Equal(ada.Id(), Assert.Single(filtered.GetProperty("data").EnumerateArray()).Id());
    }

    [Fact]
    public async Task Assign_to_an_occupied_space_is_409_and_unknown_space_or_person_404()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var desk = await c.CreateSpaceAsync("D1");
        var a = await c.CreatePersonAsync("A");
        var b = await c.CreatePersonAsync("B");
        await c.AssignAsync(a.Id(), desk.Id());
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/people/{b.Id()}/assign", new { spaceId = desk.Id() }), HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/people/{b.Id()}/assign", new { spaceId = Guid.NewGuid() }), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/people/{Guid.NewGuid()}/assign", new { spaceId = desk.Id() }), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/people/{b.Id()}/assign", new { }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/people/{b.Id()}/assign", new { spaceId = "nope" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Two_concurrent_assigns_of_different_people_to_one_space_let_exactly_one_win()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        for (var round = 0; round < 5; round++)
        {
            var desk = await c.CreateSpaceAsync($"RACE-{round}");
            var people = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => c.CreatePersonAsync($"P{round}-{i}")));
            var results = await Task.WhenAll(people.Select(p => org.App.Client(org.AdminToken)
                .PostAsJsonAsync($"/api/people/{p.Id()}/assign", new { spaceId = desk.Id() })));
            Assert.Equal(1, results.Count(r => r.StatusCode == HttpStatusCode.OK));
            foreach (var r in results.Where(r => r.StatusCode != HttpStatusCode.OK)) await HttpAssert.Status(r, HttpStatusCode.Conflict, "CONFLICT");
            Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM people WHERE assigned_space_id = @d", new { d = desk.Id() }));
        }
    }

    [Fact]
    public async Task Update_merges_data_checks_versions_and_delete_queues_the_pool_article_removal()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var p = await c.CreatePersonAsync("Grace", "E-7");
        var updated = await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/people/{p.Id()}", new { data = new { title = "Admiral" }, version = 1 }), HttpStatusCode.OK);
        Assert.Equal("Grace", updated.GetProperty("data").GetProperty("name").GetString());
        Assert.Equal("Admiral", updated.GetProperty("data").GetProperty("title").GetString());
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/people/{p.Id()}", new { data = new { title = "x" }, version = 1 }), HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/people/{p.Id()}", new { }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/people", new { externalId = "E-7", data = new { name = "Dup" } }), HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await c.DeleteAsync($"/api/people/{p.Id()}"), HttpStatusCode.NoContent);
        await HttpAssert.Status(await c.DeleteAsync($"/api/people/{p.Id()}"), HttpStatusCode.NotFound, "NOT_FOUND");
        var jobs = await app.OutboxAsync(org.OrgId, p.Id());
        Assert.Equal("delete_article", jobs[^1].Action);
        Assert.Contains(p.Str("virtualSpaceId")!, jobs[^1].Payload);
    }
}
