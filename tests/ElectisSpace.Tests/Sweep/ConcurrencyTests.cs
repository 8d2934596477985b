using System.Net;
using System.Net.Http.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Sweep;

/// <summary>Many clients on the same rows at once: the invariants hold and the losers get a 4xx, never a 5xx.</summary>
public sealed class ConcurrencyTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Fifty_parallel_assigns_unassigns_and_toggles_keep_the_invariants()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var spaces = new List<Guid>();
        var people = new List<Guid>();
        for (var i = 0; i < 3; i++) spaces.Add((await c.CreateSpaceAsync($"CC-{i}")).Id());
        for (var i = 0; i < 3; i++) people.Add((await c.CreatePersonAsync($"Person {i}")).Id());
        var room = (await c.CreateRoomAsync("CR-1")).Id();

        var random = new Random(17);
        var work = Enumerable.Range(0, 50).Select(i => (Kind: i % 3, Person: people[random.Next(3)], Space: spaces[random.Next(3)])).ToList();
        var results = await Task.WhenAll(work.Select(async w =>
        {
            using var client = app.Client(org.AdminToken);
            var res = w.Kind switch
            {
                0 => await client.PostAsJsonAsync($"/api/people/{w.Person}/assign", new { spaceId = w.Space }),
                1 => await client.DeleteAsync($"/api/people/{w.Person}/unassign"),
                _ => await client.PostAsJsonAsync($"/api/conference/{room}/toggle", new { meetingName = "Sync" }),
            };
            var text = await res.Content.ReadAsStringAsync();
            return (w.Kind, Status: (int)res.StatusCode, Text: text);
        }));

        Assert.All(results, r => Assert.True(r.Status is 200 or 409 or 422, $"{r.Kind}: {r.Status} {r.Text}"));
        var ok = results.Where(r => r.Status == 200).GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count());

        // One person per space and one space per person (the columns say so; count the pairs both ways).
        Assert.Equal(0, await app.CountAsync("""
            SELECT count(*) FROM (SELECT assigned_space_id FROM people WHERE org_id = @o AND assigned_space_id IS NOT NULL
                                  GROUP BY assigned_space_id HAVING count(*) > 1) d
            """, new { o = org.OrgId }));
        // One audit row per success.
        Assert.Equal(ok.GetValueOrDefault(0), await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND action = 'assign'", new { o = org.OrgId }));
        Assert.Equal(ok.GetValueOrDefault(1), await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND action = 'unassign'", new { o = org.OrgId }));
        var toggles = ok.GetValueOrDefault(2);
        Assert.Equal(toggles, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND action = 'toggle'", new { o = org.OrgId }));
        // No lost update on the room: every successful toggle moved the version and flipped the state once, and queued one article upsert.
        var roomRow = await HttpAssert.Status(await c.GetAsync($"/api/conference/{room}"), HttpStatusCode.OK);
        Assert.Equal(1 + toggles, roomRow.GetProperty("version").GetInt32());
        Assert.Equal(toggles % 2 == 1, roomRow.GetProperty("hasMeeting").GetBoolean());
        Assert.Equal(1 + toggles, await app.CountAsync(
            "SELECT count(*) FROM sync_queue WHERE org_id = @o AND entity_id = @room AND action = 'upsert_article'", new { o = org.OrgId, room }));
        // Every assigned person has left the pool: no POOL id while seated.
        Assert.Equal(0, await app.CountAsync(
            "SELECT count(*) FROM people WHERE org_id = @o AND assigned_space_id IS NOT NULL AND virtual_space_id IS NOT NULL", new { o = org.OrgId }));
    }
}
