using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Lists;

/// <summary>
/// Cached list answers (Lists/ListCache.cs) are served only while nothing they show has changed. The changes here are
/// made in SQL, past this host, as another instance, the push processor or an operator would make them: the counter
/// the triggers keep is what tells, not anything this process saw.
/// </summary>
public sealed class ListCacheTests(TestApp app) : IClassFixture<TestApp>
{
    private static async Task<JsonElement> ListAsync(HttpClient c, string url)
    {
        var first = await HttpAssert.Status(await c.GetAsync(url), HttpStatusCode.OK);
        var again = await c.GetAsync(url); // the same request again: the kept answer, byte for byte what was built
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("application/json", again.Content.Headers.ContentType?.MediaType);
        Assert.Equal(first.GetRawText(), (await again.Content.ReadFromJsonAsync<JsonElement>()).GetRawText());
        return first;
    }

    private static IEnumerable<JsonElement> Data(JsonElement page) => page.GetProperty("data").EnumerateArray();

    private static string? Name(JsonElement person) => person.GetProperty("data").GetProperty("name").GetString();

    /// <summary>A new organization with Ada seated at desk D1.</summary>
    private async Task<(TestOrg Org, JsonElement Ada, JsonElement Desk)> OrgWithAdaAtD1Async()
    {
        var org = await app.CreateOrgAsync();
        using var c = org.Admin;
        var ada = await c.CreatePersonAsync("Ada");
        var desk = await c.CreateSpaceAsync("D1");
        await c.AssignAsync(ada.Id(), desk.Id());
        return (org, ada, desk);
    }

    /// <summary>Renames a person with the people update trigger off: a change the list counter does not see, which shows what is kept.</summary>
    private Task RenameUnseenAsync(Guid id, string name) => app.ExecAsync("""
        ALTER TABLE people DISABLE TRIGGER people_list_version_update;
        UPDATE people SET data = jsonb_build_object('name', @name::text) WHERE id = @id;
        ALTER TABLE people ENABLE TRIGGER people_list_version_update;
        """, new { id, name });

    [Fact]
    public async Task The_people_list_shows_changes_to_people_to_their_desks_and_to_list_memberships_made_elsewhere()
    {
        var (org, ada, desk) = await OrgWithAdaAtD1Async();
        using var c = org.Admin;
        const string url = "/api/people?limit=10";
        Assert.Equal("Ada", Name(Data(await ListAsync(c, url)).Single()));

        await app.ExecAsync("""UPDATE people SET data = '{"name": "Grace"}' WHERE id = @id""", new { id = ada.Id() });
        Assert.Equal("Grace", Name(Data(await ListAsync(c, url)).Single()));

        // The desk is joined into each person: renaming it is a change to the people list too.
        await app.ExecAsync("UPDATE spaces SET external_id = 'D1-MOVED' WHERE id = @id", new { id = desk.Id() });
        Assert.Equal("D1-MOVED", Data(await ListAsync(c, url)).Single().GetProperty("assignedSpace").GetProperty("externalId").GetString());

        var list = await HttpAssert.Status(await c.PostAsJsonAsync("/api/people/lists", new { name = "monday" }), HttpStatusCode.Created);
        var inList = $"/api/people?listId={list.Id()}";
        Assert.Single(Data(await ListAsync(c, inList))); // a new list holds the seated people
        await app.ExecAsync("DELETE FROM people_list_entries WHERE list_id = @list", new { list = list.Id() });
        Assert.Empty(Data(await ListAsync(c, inList)));
        await app.ExecAsync("INSERT INTO people_list_entries (list_id, org_id, person_id) VALUES (@list, @org, @person)",
            new { list = list.Id(), org = org.OrgId, person = ada.Id() });
        Assert.Single(Data(await ListAsync(c, inList)));

        await app.ExecAsync("DELETE FROM people WHERE id = @id", new { id = ada.Id() });
        var after = await ListAsync(c, url);
        Assert.Empty(Data(after));
        Assert.Equal(0, after.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Spaces_rooms_and_users_lists_and_searches_show_changes_made_elsewhere()
    {
        var (org, ada, _) = await OrgWithAdaAtD1Async();
        using var c = org.Admin;
        const string spaces = "/api/spaces?search=D1";
        Assert.Equal("Ada", Name(Data(await ListAsync(c, spaces)).Single().GetProperty("assignedPerson")));
        await app.ExecAsync("""UPDATE people SET data = '{"name": "Grace"}' WHERE id = @id""", new { id = ada.Id() });
        Assert.Equal("Grace", Name(Data(await ListAsync(c, spaces)).Single().GetProperty("assignedPerson")));

        var room = await c.CreateRoomAsync("R1");
        const string rooms = "/api/conference?search=Room";
        Assert.Single(Data(await ListAsync(c, rooms)));
        await app.ExecAsync("UPDATE conference_rooms SET room_name = 'Hall', has_meeting = true WHERE id = @id", new { id = room.Id() });
        var none = await ListAsync(c, rooms); // no longer matches the search, and the count says so
        Assert.Empty(Data(none));
        Assert.Equal(0, none.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.True(Data(await ListAsync(c, "/api/conference?hasMeeting=true")).Single().GetProperty("hasMeeting").GetBoolean());

        const string users = "/api/users?search=Zed";
        Assert.Empty(Data(await ListAsync(c, users)));
        await app.ExecAsync("UPDATE users SET first_name = 'Zed' WHERE id = @id", new { id = org.AdminId });
        Assert.Single(Data(await ListAsync(c, users)));
    }

    /// <summary>GET of one row, twice: the second is the kept answer, with the same body and ETag.</summary>
    private static async Task<(JsonElement Body, string ETag)> ItemAsync(HttpClient c, string url)
    {
        var first = await c.GetAsync(url);
        var body = await HttpAssert.Status(first, HttpStatusCode.OK);
        var again = await c.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first.Headers.ETag, again.Headers.ETag);
        Assert.Equal(body.GetRawText(), (await again.Content.ReadFromJsonAsync<JsonElement>()).GetRawText());
        return (body, first.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task One_person_space_or_room_shows_changes_made_elsewhere_with_the_matching_ETag()
    {
        var (org, ada, desk) = await OrgWithAdaAtD1Async();
        using var c = org.Admin;
        var space = $"/api/spaces/{desk.Id()}";
        var (before, etag) = await ItemAsync(c, space);
        Assert.Equal("Ada", Name(before.GetProperty("assignedPerson")));

        // The occupant is joined into the space: renaming the person changes the space's answer, not its version.
        await app.ExecAsync("""UPDATE people SET data = '{"name": "Grace"}' WHERE id = @id""", new { id = ada.Id() });
        var (renamed, sameEtag) = await ItemAsync(c, space);
        Assert.Equal("Grace", Name(renamed.GetProperty("assignedPerson")));
        Assert.Equal(etag, sameEtag);
        await app.ExecAsync("UPDATE spaces SET label_code = 'LBL-1', version = version + 1 WHERE id = @id", new { id = desk.Id() });
        var (labelled, newEtag) = await ItemAsync(c, space);
        Assert.Equal("LBL-1", labelled.GetProperty("labelCode").GetString());
        Assert.NotEqual(etag, newEtag);

        var person = $"/api/people/{ada.Id()}";
        Assert.Equal("Grace", Name((await ItemAsync(c, person)).Body));
        await app.ExecAsync("UPDATE people SET sync_status = 'synced' WHERE id = @id", new { id = ada.Id() });
        Assert.Equal("synced", (await ItemAsync(c, person)).Body.GetProperty("syncStatus").GetString());

        var room = await c.CreateRoomAsync("R1");
        var roomUrl = $"/api/conference/{room.Id()}";
        Assert.False((await ItemAsync(c, roomUrl)).Body.GetProperty("hasMeeting").GetBoolean());
        await app.ExecAsync("UPDATE conference_rooms SET has_meeting = true WHERE id = @id", new { id = room.Id() });
        Assert.True((await ItemAsync(c, roomUrl)).Body.GetProperty("hasMeeting").GetBoolean());

        // Gone elsewhere: 404 at once, and a 404 is not kept for a row created later under another id.
        await app.ExecAsync("DELETE FROM conference_rooms WHERE id = @id", new { id = room.Id() });
        await HttpAssert.Status(await c.GetAsync(roomUrl), HttpStatusCode.NotFound, "NOT_FOUND");

        // Another organization asking for this organization's desk gets a 404, never the kept answer.
        var other = await app.CreateOrgAsync();
        using var c2 = other.Admin;
        await HttpAssert.Status(await c2.GetAsync(space), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Organizations_asking_the_same_question_get_their_own_answers()
    {
        var one = await app.CreateOrgAsync();
        var two = await app.CreateOrgAsync();
        using var c1 = one.Admin;
        using var c2 = two.Admin;
        await c1.CreatePersonAsync("Only in one");
        const string url = "/api/people?limit=5&search=Only";
        Assert.Single(Data(await ListAsync(c1, url)));
        Assert.Empty(Data(await ListAsync(c2, url)));
        await c2.CreatePersonAsync("Only in two");
        Assert.Equal("Only in two", Name(Data(await ListAsync(c2, url)).Single()));
        Assert.Equal("Only in one", Name(Data(await ListAsync(c1, url)).Single()));
    }

    [Fact]
    public async Task An_answer_is_kept_until_the_counter_moves()
    {
        // What the cache does, shown by taking its signal away: with the people update trigger off, an update made
        // elsewhere is not seen (the kept answer is served); the next counted change shows both.
        var org = await app.CreateOrgAsync();
        using var c = org.Admin;
        var ada = await c.CreatePersonAsync("Ada");
        const string url = "/api/people?search=Ada&limit=7";
        Assert.Single(Data(await ListAsync(c, url)));
        await RenameUnseenAsync(ada.Id(), "Ada Lovelace");
        Assert.Equal("Ada", Name(Data(await ListAsync(c, url)).Single()));
        await c.CreatePersonAsync("Ada Byron");
        Assert.Equal(["Ada Lovelace", "Ada Byron"], Data(await ListAsync(c, url)).Select(Name).ToList());
    }

    [Fact]
    public async Task A_filtered_total_is_counted_once_per_change_for_every_page_of_the_same_filters()
    {
        // Answers are kept per whole query; a filtered list's total per organization and filters, so page 2, the next
        // cursor and another page size reuse page 1's count. Shown as above, by taking the counter's signal away: a rename
        // made with the update trigger off adds a match, pages of the same search still report the kept total (their rows
        // are read afresh), other filters count afresh, and the next counted change recounts.
        var org = await app.CreateOrgAsync();
        using var c = org.Admin;
        foreach (var name in new[] { "Kepler A", "Kepler B", "Kepler C" }) await c.CreatePersonAsync(name);
        var tycho = await c.CreatePersonAsync("Tycho");
        static long Total(JsonElement page) => page.GetProperty("pagination").GetProperty("total").GetInt64();

        var first = await ListAsync(c, "/api/people?search=kepler&limit=1");
        Assert.Equal(3, Total(first));
        await RenameUnseenAsync(tycho.Id(), "Kepler T");

        var second = await ListAsync(c, "/api/people?search=kepler&limit=1&page=2");
        Assert.Equal("Kepler B", Name(Data(second).Single()));
        Assert.Equal(3, Total(second));
        var cursor = first.GetProperty("pagination").GetProperty("nextCursor").GetString();
        Assert.Equal(3, Total(await ListAsync(c, $"/api/people?search=kepler&limit=1&cursor={cursor}")));
        Assert.Equal(3, Total(await ListAsync(c, "/api/people?search=kepler&limit=2&page=2")));
        Assert.Equal(4, Total(await ListAsync(c, "/api/people?search=kepl&limit=1")));

        await c.CreatePersonAsync("Kepler E");
        var afterChange = await ListAsync(c, "/api/people?search=kepler&limit=1&page=3");
        Assert.Equal("Kepler C", Name(Data(afterChange).Single()));
        Assert.Equal(5, Total(afterChange));

        // Another organization's same search has its own total.
        var other = await app.CreateOrgAsync();
        using var c2 = other.Admin;
        await c2.CreatePersonAsync("Kepler Z");
        Assert.Equal(1, Total(await ListAsync(c2, "/api/people?search=kepler&limit=1")));
    }

    [Fact]
    public async Task An_answer_asked_for_once_is_not_kept_and_one_asked_for_again_is()
    {
        // Shown as above, by changes the counter does not see: after one read, a change is seen (nothing was kept);
        // after the second read of the same request the answer is kept, so the next unseen change is not.
        var org = await app.CreateOrgAsync();
        using var c = org.Admin;
        var ada = await c.CreatePersonAsync("Ada");
        const string url = "/api/people?search=Ada&limit=9";
        async Task<string?> ReadOnceAsync() => Name(Data(await HttpAssert.Status(await c.GetAsync(url), HttpStatusCode.OK)).Single());

        Assert.Equal("Ada", await ReadOnceAsync());
        await RenameUnseenAsync(ada.Id(), "Ada Lovelace");
        Assert.Equal("Ada Lovelace", await ReadOnceAsync()); // built again: the first answer was not kept; this one is
        await RenameUnseenAsync(ada.Id(), "Ada Byron");
        Assert.Equal("Ada Lovelace", await ReadOnceAsync()); // the kept answer
    }
}
