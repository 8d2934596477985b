using System.Net;
using System.Net.Http.Json;
using Dapper;
using ElectisSpace.Core.Audit;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Sync;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Tests.Database;

/// <summary>
/// Outbox jobs and audit rows are sent with the COMMIT in one round trip (CommitBatch). They must still commit exactly
/// with the change, keep their enqueue order, and a failure among them must leave nothing behind.
/// </summary>
public sealed class CommitBatchTests : IAsyncLifetime
{
    private readonly TestApp _app = new();
    public Task InitializeAsync() => _app.InitializeAsync();
    public Task DisposeAsync() => _app.DisposeAsync();

    private async Task<T> SqlAsync<T>(string sql, object? args = null)
    {
        await using var c = new NpgsqlConnection(_app.ConnectionString);
        return await c.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException(sql);
    }

    [Fact]
    public async Task A_create_commits_the_person_its_outbox_job_and_its_audit_row_together()
    {
        var org = await _app.CreateOrgAsync();
        using var admin = org.Admin;
        var created = await HttpAssert.Status(await admin.PostAsJsonAsync("/api/people", new { data = new { name = "Ada" } }), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();

        Assert.Equal(1L, await SqlAsync<long>("SELECT count(*) FROM sync_queue WHERE entity_id = @id AND action = 'upsert_article'", new { id }));
        var audit = await SqlAsync<string>("SELECT new_data->>'id' FROM audit_logs WHERE org_id = @OrgId AND action = 'create' AND entity_type = 'person'",
            new { org.OrgId });
        Assert.Equal(id.ToString(), audit);
    }

    [Fact]
    public async Task When_a_row_sent_with_the_commit_fails_nothing_of_the_change_is_kept_and_the_next_write_succeeds()
    {
        var org = await _app.CreateOrgAsync();
        using var admin = org.Admin;
        // Audit rows of person creations are refused: the failure happens in the batch that carries the COMMIT.
        await SqlAsync<int>("ALTER TABLE audit_logs ADD CONSTRAINT test_refuse_person_create CHECK (NOT (action = 'create' AND entity_type = 'person')); SELECT 1");
        var people = await SqlAsync<long>("SELECT count(*) FROM people WHERE org_id = @OrgId", new { org.OrgId });
        var jobs = await SqlAsync<long>("SELECT count(*) FROM sync_queue WHERE org_id = @OrgId", new { org.OrgId });

        // Several times, so the failed batches run on pooled connections that later requests reuse.
        for (var i = 0; i < 4; i++)
        {
            var refused = await admin.PostAsJsonAsync("/api/people", new { data = new { name = $"Refused {i}" } });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode); // a check violation is reported as a validation error
        }
        Assert.Equal(people, await SqlAsync<long>("SELECT count(*) FROM people WHERE org_id = @OrgId", new { org.OrgId }));
        Assert.Equal(jobs, await SqlAsync<long>("SELECT count(*) FROM sync_queue WHERE org_id = @OrgId", new { org.OrgId }));

        await SqlAsync<int>("ALTER TABLE audit_logs DROP CONSTRAINT test_refuse_person_create; SELECT 1");
        for (var i = 0; i < 4; i++)
            await HttpAssert.Status(await admin.PostAsJsonAsync("/api/people", new { data = new { name = $"Kept {i}" } }), HttpStatusCode.Created);
        Assert.Equal(people + 4, await SqlAsync<long>("SELECT count(*) FROM people WHERE org_id = @OrgId", new { org.OrgId }));
        Assert.Equal(4L, await SqlAsync<long>("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = 'create' AND entity_type = 'person'",
            new { org.OrgId }));
    }

    [Fact]
    public async Task Jobs_keep_the_order_they_were_enqueued_in_across_single_and_bulk_calls()
    {
        var org = await _app.CreateOrgAsync();
        Guid[] ids = [Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()];
        await _app.Db.InTransactionAsync(async (c, tx) =>
        {
            await Outbox.EnqueueAsync(c, tx, org.OrgId, "space", ids[0], SyncJobs.UnlinkLabel, new { labelCode = "L0" });
            await Outbox.EnqueueUpsertsAsync(c, tx, org.OrgId, "space", [ids[1], ids[2]]);
            await Outbox.EnqueueDeletesAsync(c, tx, org.OrgId, "space", [ids[3]], ["A3"]);
            await Outbox.EnqueueAsync(c, tx, org.OrgId, "space", ids[4], SyncJobs.LinkLabel, new { labelCode = "L4", articleId = "A4" });
        });

        await using var conn = new NpgsqlConnection(_app.ConnectionString);
        var rows = (await conn.QueryAsync<(Guid EntityId, string Action, string AimsKey, int MaxAttempts)>(
            "SELECT entity_id, action, aims_key, max_attempts FROM sync_queue WHERE org_id = @OrgId ORDER BY seq", new { org.OrgId })).ToList();
        Assert.Equal(ids, rows.Select(r => r.EntityId));
        Assert.Equal([SyncJobs.UnlinkLabel, SyncJobs.UpsertArticle, SyncJobs.UpsertArticle, SyncJobs.DeleteArticle, SyncJobs.LinkLabel],
            rows.Select(r => r.Action));
        Assert.Equal(["label:L0", $"space:{ids[1]}", $"space:{ids[2]}", "article:A3", "label:L4"], rows.Select(r => r.AimsKey));
        Assert.Equal([5, 5, 5, 3, 5], rows.Select(r => r.MaxAttempts));
    }

    [Fact]
    public async Task In_a_transaction_the_caller_opened_itself_rows_are_written_at_once()
    {
        var org = await _app.CreateOrgAsync();
        var id = Guid.NewGuid();
        await using var conn = new NpgsqlConnection(_app.ConnectionString);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await Outbox.EnqueueAsync(conn, tx, org.OrgId, "space", id, SyncJobs.UpsertArticle);
        await AuditLog.WriteAsync(conn, tx, new AuditContext(org.OrgId, null, null, "test"), AuditActions.Update, "space", id);

        Assert.Equal(1L, await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM sync_queue WHERE entity_id = @id", new { id }, tx));
        Assert.Equal(1L, await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_logs WHERE entity_id = @id", new { id = id.ToString() }, tx));
        await tx.RollbackAsync();
        Assert.Equal(0L, await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM sync_queue WHERE entity_id = @id", new { id }));
    }

    [Fact]
    public async Task A_commit_that_queues_AIMS_work_sends_no_NOTIFY()
    {
        // A NOTIFY takes one database-wide lock in its transaction's commit: every write that queued work would commit
        // one at a time (migration 0015). The dispatch is the committing process's own business now.
        var org = await _app.CreateOrgAsync();
        using var admin = org.Admin;
        await using var listener = new NpgsqlConnection(_app.ConnectionString);
        await listener.OpenAsync();
        await listener.ExecuteAsync("LISTEN sync_queue");

        await HttpAssert.Status(await admin.PostAsJsonAsync("/api/people", new { data = new { name = "Quiet" } }), HttpStatusCode.Created);

        Assert.Equal(1L, await SqlAsync<long>("SELECT count(*) FROM sync_queue WHERE org_id = @OrgId", new { org.OrgId }));
        Assert.False(await listener.WaitAsync(TimeSpan.FromMilliseconds(500)), "the commit sent a notification");
    }
}
