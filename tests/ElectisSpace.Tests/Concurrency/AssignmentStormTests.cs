using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using ElectisSpace.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ElectisSpace.Tests.Concurrency;

/// <summary>
/// Every path of the assignment lock order at once over a small organization: assign, unassign, space/person/room
/// deletes, label moves between spaces and rooms, list loads, and both CSV imports. Nothing may deadlock or answer 5xx,
/// and the data must end consistent.
/// </summary>
public sealed class AssignmentStormTests(TestApp app, ITestOutputHelper output) : IClassFixture<TestApp>
{
    private const int Spaces = 16, People = 16, Rooms = 3;

    [Fact]
    public async Task Every_assignment_path_at_once_ends_consistent_without_deadlocks()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var spaces = new Guid[Spaces];
        for (var i = 0; i < Spaces; i++) spaces[i] = (await c.CreateSpaceAsync($"ST-{i:D2}", labelCode: $"LBLS{i:D4}")).Id();
        var people = new Guid[People];
        for (var i = 0; i < People; i++) people[i] = (await c.CreatePersonAsync($"Storm {i}", externalId: $"E-{i:D2}")).Id();
        var rooms = new Guid[Rooms];
        for (var i = 0; i < Rooms; i++) rooms[i] = (await c.CreateRoomAsync($"RM-{i}", labelCode: $"LBLR{i:D4}")).Id();
        // A saved list with one seating (reversed), then another seating, so loading the list moves almost everyone.
        await SeatAsync(c, people, i => spaces[15 - i]);
        var list = (await HttpAssert.Status(await c.PostAsJsonAsync("/api/people/lists", new { name = "storm" }), HttpStatusCode.Created)).Id();
        for (var i = 0; i < 12; i++) await HttpAssert.Status(await c.DeleteAsync($"/api/people/{people[i]}/unassign"), HttpStatusCode.OK);
        await SeatAsync(c, people, i => spaces[i + 4]);

        // A fixed plan (seeded), so a failure can be replayed.
        var rnd = new Random(22);
        var plan = new List<(string Side, Func<HttpClient, Task<HttpResponseMessage>> Send)>();
        for (var k = 0; k < 40; k++)
        {
            var (p, s) = (people[rnd.Next(People)], spaces[rnd.Next(Spaces)]);
            plan.Add(("assign", h => h.PostAsJsonAsync($"/api/people/{p}/assign", new { spaceId = s })));
        }
        for (var k = 0; k < 12; k++)
        {
            var p = people[rnd.Next(People)];
            plan.Add(("unassign", h => h.DeleteAsync($"/api/people/{p}/unassign")));
        }
        foreach (var s in spaces.Take(3)) plan.Add(("delete space", h => h.DeleteAsync($"/api/spaces/{s}")));
        foreach (var p in new[] { people[0], people[15] }) plan.Add(("delete person", h => h.DeleteAsync($"/api/people/{p}")));
        plan.Add(("delete room", h => h.DeleteAsync($"/api/conference/{rooms[2]}")));
        for (var k = 0; k < 3; k++) plan.Add(("load list", h => h.PostAsync($"/api/people/lists/{list}/load", null)));
        for (var k = 0; k < 12; k++)
        {
            // Label moves: swaps between spaces, a space taking a room's label, a room taking a space's label.
            var (a, b) = (rnd.Next(3, Spaces), rnd.Next(3, Spaces));
            plan.Add(("space label", h => h.PatchAsJsonAsync($"/api/spaces/{spaces[a]}", new { labelCode = $"LBLS{b:D4}" })));
            var r = rnd.Next(2);
            plan.Add(k % 2 == 0
                ? ("space label", h => h.PostAsJsonAsync($"/api/spaces/{spaces[a]}/assign-label", new { labelCode = $"LBLR{r:D4}" }))
                : ("room label", h => h.PatchAsJsonAsync($"/api/conference/{rooms[r]}", new { labelCode = $"LBLS{b:D4}" })));
        }
        for (var k = 0; k < 4; k++) plan.Add(("toggle room", h => h.PostAsync($"/api/conference/{rooms[k % 2]}/toggle", null)));
        for (var k = 0; k < 2; k++)
        {
            var rows = string.Concat(Enumerable.Range(0, People).Reverse().Select(i => $"E-{i:D2},Imported {k}-{i}\n"));
            plan.Add(("import people", h => h.PostAsync("/api/people/import", Csv($"externalId,name\n{rows}E-NEW-{k},New {k}\n"))));
            var spaceRows = string.Concat(Enumerable.Range(3, Spaces - 3).Select(i => $"ST-{i:D2},Floor {k}\n"));
            plan.Add(("import spaces", h => h.PostAsync("/api/spaces/import", Csv($"externalId,floor\n{spaceRows}"))));
        }
        var order = plan.OrderBy(_ => rnd.Next()).ToList();

        var watch = await DeadlockWatch.StartAsync(app);
        var results = await Races.RunAsync(c, order.Count, ("storm", (h, i) => order[i].Send(h)));
        results = results.Select(r => r with { Side = order[r.Pair].Side }).ToList();
        Races.Report(output, "assignment storm", results);
        await watch.AssertNoneAsync(output, "assignment storm");

        // Refusals are the truthful kinds only: gone (404), taken or stale (409), not assigned (422).
        foreach (var r in results.Where(r => !r.Ok))
            Assert.True(r.Status is HttpStatusCode.NotFound or HttpStatusCode.Conflict or (HttpStatusCode)422,
                $"{r.Side} answered {(int)r.Status}: {r.Body}");
        await AssignmentInvariants.AssertAsync(app, org.OrgId, spaces.Take(3), perPersonAudit: false);
        await AssignmentInvariants.AssertLabelsAsync(app, org.OrgId);
    }

    private static async Task SeatAsync(HttpClient c, Guid[] people, Func<int, Guid> space)
    {
        for (var i = 0; i < 12; i++)
            await c.AssignAsync(people[i], space(i));
    }

    private static StringContent Csv(string text)
    {
        var content = new StringContent(text, new UTF8Encoding(false));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        return content;
    }
}
