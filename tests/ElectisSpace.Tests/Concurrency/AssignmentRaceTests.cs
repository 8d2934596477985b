using System.Net;
using System.Net.Http.Json;
using ElectisSpace.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ElectisSpace.Tests.Concurrency;

/// <summary>
/// Issue 22: races across two entities (a space and a person), 25 pairs fired at once against the Standalone host.
/// After each: every answer truthful (no 5xx, no wrong error), the invariants in PostgreSQL, no deadlock in the
/// PostgreSQL log, and the latency printed.
/// </summary>
public sealed class AssignmentRaceTests(TestApp app, ITestOutputHelper output) : IClassFixture<TestApp>
{
    private const int Pairs = 25;

    [Fact]
    public async Task Deleting_a_space_while_its_occupant_moves_to_another_space_never_loses_the_move()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var from = await SpacesAsync(c, "LM-FROM");
        var to = await SpacesAsync(c, "LM-TO");
        var people = await PeopleAsync(c, "Mover", seatOn: from);
        var (results, audit) = await RaceAsync(org, "lost move",
            ("delete space", (h, i) => h.DeleteAsync($"/api/spaces/{from[i]}")),
            ("move person", (h, i) => h.PostAsJsonAsync($"/api/people/{people[i]}/assign", new { spaceId = to[i] })));
        foreach (var r in results)
        {
            Assert.True(r.Ok, $"pair {r.Pair} {r.Side}: {(int)r.Status} {r.Body}");
            if (r.Side == "move person") Assert.Equal(to[r.Pair], r.Json.GetProperty("assignedSpaceId").GetGuid());
        }
        // Every serial order of the two ends with the person on the new space: the move is never undone.
        var lost = new List<string>();
        for (var i = 0; i < Pairs; i++)
        {
            var person = await HttpAssert.Status(await c.GetAsync($"/api/people/{people[i]}"), HttpStatusCode.OK);
            if (person.Str("assignedSpaceId") != to[i].ToString()) lost.Add($"pair {i}: {person}");
        }
        output.WriteLine($"lost move: {lost.Count} of {Pairs} moves lost");
        Assert.True(lost.Count == 0, $"{lost.Count} of {Pairs} moves were undone by the space delete:\n{string.Join('\n', lost)}");
        AssertAuditOf(results, audit, "delete space", "delete", "space", i => from[i]);
        AssertAuditOf(results, audit, "move person", "assign", "person", i => people[i]);
        var releasedFirst = audit.Count(a => a is { Action: "unassign", EntityType: "person" });
        output.WriteLine($"lost move: the delete released the person before the move in {releasedFirst} of {Pairs} pairs");
        await AssignmentInvariants.AssertAsync(app, org.OrgId, from);
    }

    [Fact]
    public async Task Deleting_a_space_while_its_occupant_is_unassigned_does_not_deadlock()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var spaces = await SpacesAsync(c, "DL");
        var people = await PeopleAsync(c, "Sitter", seatOn: spaces);
        var (results, audit) = await RaceAsync(org, "delete vs unassign",
            ("delete space", (h, i) => h.DeleteAsync($"/api/spaces/{spaces[i]}")),
            ("unassign person", (h, i) => h.DeleteAsync($"/api/people/{people[i]}/unassign")));
        for (var i = 0; i < Pairs; i++)
        {
            var delete = results.Single(r => r.Pair == i && r.Side == "delete space");
            var unassign = results.Single(r => r.Pair == i && r.Side == "unassign person");
            Assert.True(delete.Status == HttpStatusCode.NoContent, $"pair {i}: delete answered {(int)delete.Status} {delete.Body}");
            // The unassign either went first (200) or found the person already released by the delete (422): both true.
            Assert.True(unassign.Status == HttpStatusCode.OK || unassign is { Status: (HttpStatusCode)422, ErrorCode: "BUSINESS_ERROR" },
                $"pair {i}: unassign answered {(int)unassign.Status} {unassign.Body}");
            // Exactly one of the two took the person off the space, and that one wrote the person's audit row.
            Assert.Single(audit, a => a is { Action: "unassign", EntityType: "person" } && a.EntityId == people[i].ToString());
        }
        AssertAuditOf(results, audit, "delete space", "delete", "space", i => spaces[i]);
        await AssignmentInvariants.AssertAsync(app, org.OrgId, spaces);
    }

    [Fact]
    public async Task Deleting_an_empty_space_while_someone_is_assigned_into_it_answers_truthfully()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var spaces = await SpacesAsync(c, "WE");
        var people = await PeopleAsync(c, "Newcomer", seatOn: null);
        var (results, audit) = await RaceAsync(org, "delete vs assign",
            ("delete space", (h, i) => h.DeleteAsync($"/api/spaces/{spaces[i]}")),
            ("assign person", (h, i) => h.PostAsJsonAsync($"/api/people/{people[i]}/assign", new { spaceId = spaces[i] })));
        var (deleteFirst, assignFirst) = (0, 0);
        for (var i = 0; i < Pairs; i++)
        {
            var delete = results.Single(r => r.Pair == i && r.Side == "delete space");
            var assign = results.Single(r => r.Pair == i && r.Side == "assign person");
            var person = await HttpAssert.Status(await c.GetAsync($"/api/people/{people[i]}"), HttpStatusCode.OK);
            Assert.True(delete.Status is HttpStatusCode.NoContent or HttpStatusCode.Conflict, $"pair {i}: delete answered {(int)delete.Status} {delete.Body}");
            if (delete.Status == HttpStatusCode.Conflict)
            {
                // The person sat down first and the delete refused: it names the occupant, and the space still stands.
                Assert.Equal("CONFLICT", delete.ErrorCode);
                Assert.Equal(people[i], delete.Json.GetProperty("error").GetProperty("details").GetProperty("personId").GetGuid());
                Assert.Equal(HttpStatusCode.OK, assign.Status);
                Assert.Equal(spaces[i], person.GetProperty("assignedSpaceId").GetGuid());
            }
            else if (assign.Status == HttpStatusCode.NotFound)
            {
                deleteFirst++; // the delete won: the space is gone for the assign
                Assert.Equal("NOT_FOUND", assign.ErrorCode);
                Assert.Contains("Space", assign.Json.GetProperty("error").GetProperty("message").GetString());
                Assert.Equal(System.Text.Json.JsonValueKind.Null, person.GetProperty("assignedSpaceId").ValueKind);
            }
            else
            {
                assignFirst++; // the assign won, then the delete took the space away and gave the person a POOL id back
                Assert.True(assign.Status == HttpStatusCode.OK, $"pair {i}: assign answered {(int)assign.Status} {assign.Body}");
                Assert.Equal(spaces[i], assign.Json.GetProperty("assignedSpaceId").GetGuid());
                Assert.Equal(System.Text.Json.JsonValueKind.Null, person.GetProperty("assignedSpaceId").ValueKind);
                Assert.StartsWith("POOL-", person.Str("virtualSpaceId"));
            }
        }
        output.WriteLine($"delete vs assign: delete first {deleteFirst}, assign first {assignFirst}");
        AssertAuditOf(results, audit, "delete space", "delete", "space", i => spaces[i]);
        AssertAuditOf(results, audit, "assign person", "assign", "person", i => people[i]);
        await AssignmentInvariants.AssertAsync(app, org.OrgId,
            results.Where(r => r is { Side: "delete space", Ok: true }).Select(r => spaces[r.Pair]));
    }

    /// <summary>Runs the pairs at once; reports outcomes and latency, fails on 5xx or a deadlock; returns the audit rows written.</summary>
    private async Task<(List<RaceResult> Results, List<(string Action, string EntityType, string EntityId, string? NewData)> Audit)> RaceAsync(
        TestOrg org, string name, params (string Side, Func<HttpClient, int, Task<HttpResponseMessage>> Send)[] sides)
    {
        var mark = await AssignmentInvariants.AuditMarkAsync(app, org.OrgId);
        var watch = await DeadlockWatch.StartAsync(app);
        var results = await Races.RunAsync(org.Admin, Pairs, sides);
        Races.Report(output, name, results);
        await watch.AssertNoneAsync(output, name);
        return (results, await AssignmentInvariants.AuditSinceAsync(app, org.OrgId, mark));
    }

    /// <summary>Each successful request of this side wrote exactly one audit row of its kind; failed ones wrote none.</summary>
    private static void AssertAuditOf(List<RaceResult> results, List<(string Action, string EntityType, string EntityId, string? NewData)> audit,
        string side, string action, string entityType, Func<int, Guid> entity)
    {
        foreach (var r in results.Where(r => r.Side == side))
        {
            var rows = audit.Count(a => a.Action == action && a.EntityType == entityType && a.EntityId == entity(r.Pair).ToString());
            Assert.True(rows == (r.Ok ? 1 : 0), $"pair {r.Pair} {side} answered {(int)r.Status} and wrote {rows} '{action}' audit rows");
        }
    }

    private async Task<Guid[]> SpacesAsync(HttpClient c, string prefix)
    {
        var ids = new Guid[Pairs];
        for (var i = 0; i < Pairs; i++) ids[i] = (await c.CreateSpaceAsync($"{prefix}-{i}")).Id();
        return ids;
    }

    private async Task<Guid[]> PeopleAsync(HttpClient c, string name, Guid[]? seatOn)
    {
        var ids = new Guid[Pairs];
        for (var i = 0; i < Pairs; i++)
        {
            ids[i] = (await c.CreatePersonAsync($"{name} {i}")).Id();
            if (seatOn is not null)
                await c.AssignAsync(ids[i], seatOn[i]);
        }
        return ids;
    }
}
