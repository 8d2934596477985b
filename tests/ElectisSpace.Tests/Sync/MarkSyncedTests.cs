using Dapper;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Organizations;
using ElectisSpace.Core.Sync.Push;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// Issue 35: a push batch's "synced" marks, and the syncStatus events they write, must not scan the organization's open
/// jobs once per entity. They did when the planner's statistics lagged the tables (a new organization, a full sync, a
/// burst of writes): 0.3-2.6 s for a few hundred spaces at 500 changes/s, so the event poller waited at that
/// transaction's event ids and every live stream was told it lagged; up to 23 s a statement in a full sync of 10,000.
/// </summary>
public sealed class MarkSyncedTests
{
    [Fact]
    public async Task Marking_a_batch_synced_reads_its_open_jobs_once_and_keeps_those_with_one_pending()
    {
        // A database of its own, freshly cloned: its tables have never been analyzed, as a new deployment's or a new
        // organization's burst looks to the planner.
        var pg = await PostgresServer.GetAsync();
        await using var ds = NpgsqlDataSource.Create(await pg.CreateDatabaseAsync());
        var org = await OrganizationSetup.CreateAsync(new Db(ds), new Passwords(), "Mark synced", "MARKSYNC", "admin@mark.test", "Admin-Passw0rd");
        await using var c = await ds.OpenConnectionAsync();
        // 300 spaces whose pushes are done, and 300 others with a job still open (the queue of a busy organization).
        var spaces = (await c.QueryAsync<Guid>("""
            INSERT INTO spaces (org_id, external_id) SELECT @org, 'S' || i FROM generate_series(1, 600) i RETURNING id
            """, new { org = org.OrgId })).ToList();
        var (done, busy) = (spaces.Take(300).ToList(), spaces.Skip(300).ToList());
        await c.ExecuteAsync("""
            INSERT INTO sync_queue (org_id, entity_type, entity_id, action, status)
            SELECT @org, 'space', id, 'upsert_article', 'completed' FROM unnest(@done) id
            UNION ALL SELECT @org, 'space', id, 'upsert_article', 'pending' FROM unnest(@busy) id
            """, new { org = org.OrgId, done = done.ToArray(), busy = busy.ToArray() });

        // auto_explain sends the executed plan of every statement to this session as a notice.
        var plans = new List<string>();
        c.Notice += (_, e) => plans.Add(e.Notice.MessageText);
        await c.ExecuteAsync("""
            LOAD 'auto_explain';
            SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_level = notice;
            """);
        await using (var tx = await c.BeginTransactionAsync())
        {
            // Half of the batch is still busy (a later change was queued), so its open job must keep it pending.
            await SyncEntities.MarkSyncedAsync(c, tx, org.OrgId, "space", [.. done.Concat(busy.Take(100)).Select(id => (id, (int?)1))]);
            await tx.CommitAsync();
        }
        await c.ExecuteAsync("SET auto_explain.log_min_duration = -1");

        var plan = Assert.Single(plans, p => p.Contains("UPDATE spaces e SET sync_status = 'synced'"));
        // The queue is read once for the whole batch, never once per entity (loops=N), whatever plan the statistics pick.
        var queueReads = plan.Split('\n').Where(l => l.Contains(" on sync_queue o")).ToList();
        Assert.NotEmpty(queueReads);
        Assert.All(queueReads, l => Assert.Contains("loops=1)", l));
        Assert.DoesNotContain("Rows Removed by Join Filter", plan);

        var status = (await c.QueryAsync<(Guid Id, string Status)>("SELECT id, sync_status FROM spaces WHERE org_id = @org", new { org = org.OrgId }))
            .ToDictionary(r => r.Id, r => r.Status);
        Assert.All(done, id => Assert.Equal("synced", status[id]));
        Assert.All(busy, id => Assert.Equal("pending", status[id]));
        // One syncStatus event per space marked, written with the mark.
        Assert.Equal(300, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM events WHERE org_id = @org AND type = 'space:syncStatus'", new { org = org.OrgId }));
    }
}
