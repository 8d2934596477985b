using System.Text.Json;
using Dapper;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Tests.Concurrency;

/// <summary>
/// What must hold in the database after any race over assignments, read straight from PostgreSQL:
/// one person per space; every person on an existing space or on a POOL id; every change to a person has its audit row
/// (a person's version counts its changes); and the outbox ends on the final state (the engine re-reads the entity,
/// so the last job queued for an entity after its last change must be the one that shows it as it is now).
/// </summary>
public static class AssignmentInvariants
{
    private sealed record Person(Guid Id, Guid? AssignedSpaceId, string? VirtualSpaceId, int Version);
    private sealed record Job(string EntityType, Guid EntityId, string Action, string Payload, long Seq);

    /// <param name="perPersonAudit">false when bulk paths ran (list load, import): they write one audit row for the whole change.</param>
    public static async Task AssertAsync(TestApp app, Guid orgId, IEnumerable<Guid> deletedSpaces, bool perPersonAudit = true)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        var people = (await conn.QueryAsync<Person>(
            "SELECT id, assigned_space_id, virtual_space_id, version FROM people WHERE org_id = @orgId", new { orgId })).ToList();
        var spaces = (await conn.QueryAsync<Guid>("SELECT id FROM spaces WHERE org_id = @orgId", new { orgId })).ToHashSet();
        var jobs = (await conn.QueryAsync<Job>("""
            SELECT entity_type, entity_id, action, payload::text AS payload, seq FROM sync_queue WHERE org_id = @orgId ORDER BY seq
            """, new { orgId })).ToList();
        var audit = (await conn.QueryAsync<(string EntityId, long Changes)>("""
            SELECT entity_id, count(*) FROM audit_logs WHERE org_id = @orgId AND entity_type = 'person' AND entity_id IS NOT NULL AND action <> 'create' GROUP BY entity_id
            """, new { orgId })).ToDictionary(a => a.EntityId, a => a.Changes);

        // One person per space.
        var doubled = people.Where(p => p.AssignedSpaceId is not null).GroupBy(p => p.AssignedSpaceId).Where(g => g.Count() > 1).ToList();
        Assert.True(doubled.Count == 0, $"spaces with several people: {string.Join(", ", doubled.Select(g => g.Key))}");

        foreach (var p in people)
        {
            // On an existing space, or on a POOL id — never both, never neither.
            if (p.AssignedSpaceId is { } s)
            {
                Assert.True(spaces.Contains(s), $"person {p.Id} sits on space {s}, which does not exist");
                Assert.Null(p.VirtualSpaceId);
            }
            else Assert.Matches(@"^POOL-\d{4,}$", p.VirtualSpaceId ?? "");

            // Each change after creation bumped the version once and wrote one audit row.
            Assert.True(!perPersonAudit || audit.GetValueOrDefault(p.Id.ToString()) == p.Version - 1,
                $"person {p.Id} changed {p.Version - 1} times but has {audit.GetValueOrDefault(p.Id.ToString())} audit rows");

            // The outbox ends on the final state.
            var own = jobs.Where(j => j.EntityType == "person" && j.EntityId == p.Id).ToList();
            if (p.AssignedSpaceId is { } seat)
            {
                var lastSeatUpsert = jobs.LastOrDefault(j => j.EntityType == "space" && j.EntityId == seat && j.Action == "upsert_article");
                if (!(lastSeatUpsert is not null && (own.Count == 0 || lastSeatUpsert.Seq > own[^1].Seq)))
                    Assert.Fail($"person {p.Id} sits on {seat} but that space was not pushed after the person's last job\n"
                        + await HistoryAsync(conn, orgId, p.Id, seat));
                Assert.True(own.Count == 0 || own[^1].Action == "delete_article",
                    $"person {p.Id} is seated but its last own job is {own.LastOrDefault()?.Action} (its POOL article would stay)");
            }
            else
            {
                Assert.True(own.Count > 0 && own[^1].Action == "upsert_article",
                    $"person {p.Id} is on {p.VirtualSpaceId} but its last own job is {own.LastOrDefault()?.Action} (the POOL article is not pushed)");
                Assert.DoesNotContain(own, j => j.Action == "delete_article"
                    && JsonDocument.Parse(j.Payload).RootElement.GetProperty("articleId").GetString() == p.VirtualSpaceId);
            }
        }

        foreach (var s in deletedSpaces)
        {
            Assert.DoesNotContain(s, spaces);
            var last = jobs.LastOrDefault(j => j.EntityType == "space" && j.EntityId == s);
            Assert.True(last?.Action == "delete_article", $"deleted space {s} ends with {last?.Action} in the outbox, not delete_article");
        }
    }

    /// <summary>Each label code is claimed (label_assignments) by exactly the space or room that shows it, and by nothing else.</summary>
    public static async Task AssertLabelsAsync(TestApp app, Guid orgId)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        var shown = (await conn.QueryAsync<(string Label, string Type, Guid Id)>("""
            SELECT label_code, 'space', id FROM spaces WHERE org_id = @orgId AND label_code IS NOT NULL
            UNION ALL SELECT label_code, 'conference', id FROM conference_rooms WHERE org_id = @orgId AND label_code IS NOT NULL
            ORDER BY 1
            """, new { orgId })).ToList();
        var claimed = (await conn.QueryAsync<(string Label, string Type, Guid Id)>(
            "SELECT label_code, entity_type, entity_id FROM label_assignments WHERE org_id = @orgId ORDER BY 1", new { orgId })).ToList();
        Assert.Equal(shown, claimed);
    }

    /// <summary>Audit rows of one kind written since the marker (audit ids are random, so the marker is the set of existing ids).</summary>
    public static async Task<List<(string Action, string EntityType, string EntityId, string? NewData)>> AuditSinceAsync(
        TestApp app, Guid orgId, HashSet<Guid> before)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        var rows = await conn.QueryAsync<(Guid Id, string Action, string EntityType, string EntityId, string? NewData)>(
            "SELECT id, action, entity_type, entity_id, new_data::text FROM audit_logs WHERE org_id = @orgId", new { orgId });
        return rows.Where(r => !before.Contains(r.Id)).Select(r => (r.Action, r.EntityType, r.EntityId, r.NewData)).ToList();
    }

    public static async Task<HashSet<Guid>> AuditMarkAsync(TestApp app, Guid orgId)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        return (await conn.QueryAsync<Guid>("SELECT id FROM audit_logs WHERE org_id = @orgId", new { orgId })).ToHashSet();
    }

    /// <summary>The outbox and audit history of a person and a space, for a failure message that can be reasoned about.</summary>
    private static async Task<string> HistoryAsync(NpgsqlConnection conn, Guid orgId, Guid personId, Guid spaceId)
    {
        var jobs = await conn.QueryAsync<(long Seq, string Type, string Action, string Payload, DateTime At)>("""
            SELECT seq, entity_type, action, payload::text, created_at FROM sync_queue
            WHERE org_id = @orgId AND entity_id IN (@personId, @spaceId) ORDER BY seq
            """, new { orgId, personId, spaceId });
        var audit = await conn.QueryAsync<(DateTime At, string Action, string Type, string? From, string? To)>("""
            SELECT created_at, action, entity_type, old_data->>'assignedSpaceId', new_data->>'assignedSpaceId' FROM audit_logs
            WHERE org_id = @orgId AND entity_id IN (@person, @space) ORDER BY created_at
            """, new { orgId, person = personId.ToString(), space = spaceId.ToString() });
        return "jobs:\n" + string.Join("\n", jobs.Select(j => $"  {j.Seq} {j.Type} {j.Action} {j.Payload} {j.At:HH:mm:ss.ffffff}"))
            + "\naudit:\n" + string.Join("\n", audit.Select(a => $"  {a.At:HH:mm:ss.ffffff} {a.Action} {a.Type} {a.From} -> {a.To}"));
    }
}
