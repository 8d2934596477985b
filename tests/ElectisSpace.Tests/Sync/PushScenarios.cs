using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Tests.Infrastructure;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// Every change made through the API reaches the AIMS emulator (or the dead letters), under the faults of issue 19.
/// The same scenarios run with each queue provider (PostgreSQL outbox, Azure Storage on Azurite).
/// </summary>
public abstract class PushScenarios
{
    private readonly SyncApp app;

    protected PushScenarios(SyncApp app)
    {
        this.app = app;
        app.Aims.Faults.Clear(); // a failed test must not leave its faults to the next
    }

    private static string Id(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..20].ToUpperInvariant();

    [Fact]
    public async Task A_space_created_through_the_API_reaches_AIMS_and_becomes_synced()
    {
        var org = await app.CreateSyncedOrgAsync();
        var externalId = Id("S");
        var space = await org.Admin.CreateSpaceAsync(externalId, data: new { roomName = "Blue room", floor = "3" });
        Assert.Equal("pending", space.GetProperty("syncStatus").GetString());

        await SyncApp.WaitUntilAsync(() => Task.FromResult(app.Article(externalId) is not null), "article in AIMS", 5_000);
        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "synced");
        var article = app.Article(externalId)!;
        Assert.Equal("3", article.Data["floor"]);
        var after = await SyncApp.GetAsync(org.Admin, $"/api/spaces/{space.Id()}");
        Assert.NotEqual(JsonValueKind.Null, after.GetProperty("lastSyncedAt").ValueKind);

        var status = await SyncApp.GetAsync(org.Admin, "/api/sync/status");
        Assert.Equal("idle", status.GetProperty("status").GetString());
        Assert.Equal(0, status.GetProperty("pendingItems").GetInt32());
        Assert.True(status.GetProperty("solumConnected").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, status.GetProperty("lastSync").ValueKind);
    }

    [Fact]
    public async Task A_person_moved_from_desk_to_desk_becomes_synced_with_both_desks_right_in_AIMS()
    {
        var org = await app.CreateSyncedOrgAsync();
        var (first, second) = (Id("M"), Id("M"));
        var deskA = await org.Admin.CreateSpaceAsync(first);
        var deskB = await org.Admin.CreateSpaceAsync(second);
        var name = "Moved " + Guid.NewGuid().ToString("N")[..8];
        var person = await org.Admin.CreatePersonAsync(name);
        await org.Admin.AssignAsync(person.Id(), deskA.Id());
        await app.WaitDrainedAsync(org.OrgId);
        Assert.Equal("synced", (await SyncApp.GetAsync(org.Admin, $"/api/people/{person.Id()}")).GetProperty("syncStatus").GetString());

        // A move queues the two desks' articles and no job of the person's own; the person still waits for them.
        var moved = await org.Admin.AssignAsync(person.Id(), deskB.Id());
        Assert.Equal("pending", moved.GetProperty("syncStatus").GetString());
        await app.WaitDrainedAsync(org.OrgId);
        await SyncApp.WaitUntilAsync(async () =>
            (await SyncApp.GetAsync(org.Admin, $"/api/people/{person.Id()}")).GetProperty("syncStatus").GetString() == "synced", "moved person synced", 5_000);
        Assert.DoesNotContain(name, app.Article(first)!.Data.Values.Append(app.Article(first)!.ArticleName));
        Assert.Contains(name, app.Article(second)!.Data.Values.Append(app.Article(second)!.ArticleName));
    }

    [Fact]
    public async Task Ten_rapid_edits_end_as_the_final_state_in_far_fewer_pushes()
    {
        var org = await app.CreateSyncedOrgAsync();
        var externalId = Id("E");
        var space = await org.Admin.CreateSpaceAsync(externalId);
        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "synced");
        var before = app.ArticlePosts;
        // The first push of the burst is slow, so the other edits pile up behind it as they would under load.
        app.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "POST", Kind = FaultKind.Delay, Delay = TimeSpan.FromMilliseconds(600) });
        for (var i = 1; i <= 10; i++)
            await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/spaces/{space.Id()}", new { data = new { edit = i.ToString() } }), HttpStatusCode.OK);

        await app.WaitDrainedAsync(org.OrgId);
        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "synced");
        Assert.Equal("10", app.Article(externalId)!.Data["edit"]);
        Assert.InRange(app.ArticlePosts - before, 1, 3);
    }

    [Fact]
    public async Task A_thousand_changes_reach_AIMS_in_at_most_ten_article_posts()
    {
        var org = await app.CreateSyncedOrgAsync();
        var prefix = Id("B")[..8];
        var csv = new StringBuilder("externalId,roomName\n");
        for (var i = 0; i < 1000; i++) csv.Append($"{prefix}{i:D4},Desk {i}\n");
        var before = app.ArticlePosts;
        await HttpAssert.Status(await org.Admin.PostAsync("/api/spaces/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv")), HttpStatusCode.OK);

        await app.WaitDrainedAsync(org.OrgId, 30_000);
        Assert.All(Enumerable.Range(0, 1000), i => Assert.NotNull(app.Article($"{prefix}{i:D4}")));
        Assert.InRange(app.ArticlePosts - before, 2, 10);
        Assert.Equal(1000, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @OrgId AND sync_status = 'synced'", new { org.OrgId }));
    }

    [Fact]
    public async Task A_label_moved_between_spaces_ends_on_the_second_even_when_the_unlink_fails_once()
    {
        var org = await app.CreateSyncedOrgAsync();
        const string label = "0470A1B20003";
        var (a, b) = (Id("LA"), Id("LB"));
        var spaceA = await org.Admin.CreateSpaceAsync(a, labelCode: label);
        var spaceB = await org.Admin.CreateSpaceAsync(b);
        await app.WaitDrainedAsync(org.OrgId);
        Assert.Equal([a], app.Label(label)!.ArticleIds);

        app.Aims.Faults.FailNext("/labels/unlink", 1, 503);
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/spaces/{spaceA.Id()}", new { labelCode = (string?)null }), HttpStatusCode.OK);
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/spaces/{spaceB.Id()}", new { labelCode = label }), HttpStatusCode.OK);

        await app.WaitDrainedAsync(org.OrgId);
        Assert.Equal([b], app.Label(label)!.ArticleIds);
        Assert.Equal(1, (await app.JobAsync(org.OrgId, spaceA.Id(), "unlink_label")).Attempts);
    }

    [Fact]
    public async Task A_space_deleted_then_created_again_ends_as_the_new_one_even_when_the_delete_fails_once()
    {
        var org = await app.CreateSyncedOrgAsync();
        var externalId = Id("D");
        var first = await org.Admin.CreateSpaceAsync(externalId, data: new { roomName = "Old" });
        await SyncApp.WaitStatusAsync(org.Admin, first.Id(), "synced");

        app.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "DELETE", Status = 503, Remaining = 1 });
        await HttpAssert.Status(await org.Admin.DeleteAsync($"/api/spaces/{first.Id()}"), HttpStatusCode.NoContent);
        var second = await org.Admin.CreateSpaceAsync(externalId, data: new { roomName = "New" });

        await app.WaitDrainedAsync(org.OrgId);
        await SyncApp.WaitStatusAsync(org.Admin, second.Id(), "synced");
        Assert.Equal("New", app.Article(externalId)!.Data["roomName"]);
        Assert.Equal(1, (await app.JobAsync(org.OrgId, first.Id(), "delete_article")).Attempts);
    }

    [Fact]
    public async Task A_change_behind_more_waiting_jobs_than_a_claim_ranks_is_still_pushed_at_once()
    {
        var org = await app.CreateSyncedOrgAsync();
        var waiting = await org.Admin.CreateSpaceAsync(Id("W"));
        await SyncApp.WaitStatusAsync(org.Admin, waiting.Id(), "synced");
        // More open jobs than the claim ranks (PushProcessor.ClaimWindow), all of one space whose next attempt is an hour
        // away: the oldest jobs hold no job that is due. (Written directly: reaching this through AIMS faults would take
        // that many failed edits.)
        await app.ExecAsync("""
                INSERT INTO sync_queue (org_id, entity_type, entity_id, action, payload, scheduled_at)
                SELECT @orgId, 'space', @spaceId, 'upsert_article', '{}', now() + interval '1 hour'
                FROM generate_series(1, @count)
                """, new { orgId = org.OrgId, spaceId = waiting.Id(), count = ElectisSpace.Core.Sync.Push.PushProcessor.ClaimWindow + 1 });

        var externalId = Id("N");
        var created = await org.Admin.CreateSpaceAsync(externalId);
        await SyncApp.WaitStatusAsync(org.Admin, created.Id(), "synced");
        Assert.NotNull(app.Article(externalId));
        Assert.Equal("pending", (await app.JobAsync(org.OrgId, waiting.Id(), "upsert_article")).Status);

        await app.ExecAsync("DELETE FROM sync_queue WHERE org_id = @orgId AND entity_id = @spaceId AND status = 'pending'",
            new { orgId = org.OrgId, spaceId = waiting.Id() });
    }

    [Fact]
    public async Task AIMS_answering_503_three_times_then_OK_ends_synced()
    {
        var org = await app.CreateSyncedOrgAsync();
        await WarmUpAsync(org);
        var externalId = Id("R");
        app.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "POST", Status = 503, Remaining = 3 });
        var space = await org.Admin.CreateSpaceAsync(externalId);

        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "synced");
        Assert.NotNull(app.Article(externalId));
        Assert.Equal(3, app.Aims.Requests.Snapshot().Count(r => r.Method == "POST" && r.Path.EndsWith("/articles") && r.Status == 503));
        var job = await app.JobAsync(org.OrgId, space.Id(), "upsert_article");
        Assert.Equal("completed", job.Status);
        Assert.InRange(job.Attempts, 1, 3); // 503s spend attempts (fewer only if the client's circuit opened: that waits for free)
    }

    [Fact]
    public async Task A_permanent_400_fails_at_once_without_retry_and_lands_in_dead_letters()
    {
        var org = await app.CreateSyncedOrgAsync();
        await WarmUpAsync(org);
        var posts = app.ArticlePosts;
        app.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "POST", Status = 400, Remaining = 1 });
        var space = await org.Admin.CreateSpaceAsync(Id("P"));

        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "failed");
        var job = await app.JobAsync(org.OrgId, space.Id(), "upsert_article");
        Assert.Equal(("dead", 1), (job.Status, job.Attempts));
        await Task.Delay(300);
        Assert.Equal(posts + 1, app.ArticlePosts); // no retry
        var dead = await SyncApp.GetAsync(org.Admin, "/api/sync/dead-letters");
        Assert.Equal(space.Id(), Assert.Single(dead.GetProperty("data").EnumerateArray()).GetProperty("entityId").GetGuid());
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = 'sync_failed' AND entity_id = @id",
            new { org.OrgId, id = space.Id().ToString() }));
    }

    [Fact]
    public async Task Rows_AIMS_drops_after_answering_mark_the_entity_error_with_the_reason()
    {
        var org = await app.CreateSyncedOrgAsync();
        var space = await org.Admin.CreateSpaceAsync(Id("REJ-"));
        var good = await org.Admin.CreateSpaceAsync(Id("G"));

        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "error");
        var row = await SyncApp.GetAsync(org.Admin, $"/api/spaces/{space.Id()}");
        Assert.Contains("ARTICLE_VALIDATION_FAILED", row.GetProperty("syncError").GetString());
        await SyncApp.WaitStatusAsync(org.Admin, good.Id(), "synced");

        // The status counts the rejected job as failed (not dead) and shows the last push.
        await app.WaitDrainedAsync(org.OrgId);
        var status = await SyncApp.GetAsync(org.Admin, "/api/sync/status");
        Assert.Equal((0, 1, 0), (status.GetProperty("pendingItems").GetInt32(), status.GetProperty("failedItems").GetInt32(),
            status.GetProperty("deadLetters").GetInt32()));
        Assert.NotEqual(JsonValueKind.Null, status.GetProperty("lastSync").ValueKind);
        var queue = (await SyncApp.GetAsync(org.Admin, "/api/health/detailed")).GetProperty("syncQueue");
        Assert.Equal((0, 0, 1, 0), (queue.GetProperty("pending").GetInt32(), queue.GetProperty("processing").GetInt32(),
            queue.GetProperty("failed").GetInt32(), queue.GetProperty("dead").GetInt32()));
    }

    [Fact]
    public async Task Exhausted_attempts_become_a_dead_letter_and_a_retry_syncs_it()
    {
        var org = await app.CreateSyncedOrgAsync();
        await WarmUpAsync(org);
        var externalId = Id("X");
        app.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "POST", Status = 500, Remaining = int.MaxValue });
        var space = await org.Admin.CreateSpaceAsync(externalId);
        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "failed", 30_000);
        app.Aims.Faults.Clear();

        var job = await app.JobAsync(org.OrgId, space.Id(), "upsert_article");
        Assert.Equal("dead", job.Status);
        Assert.InRange(job.Attempts, 1, 5);
        var status = await SyncApp.GetAsync(org.Admin, "/api/sync/status");
        Assert.Equal(1, status.GetProperty("deadLetters").GetInt32());
        var dead = Assert.Single((await SyncApp.GetAsync(org.Admin, "/api/sync/dead-letters?page=1&limit=10")).GetProperty("data").EnumerateArray());
        var jobId = dead.GetProperty("id").GetGuid();

        using var viewer = await org.ClientForRoleAsync("viewer");
        await HttpAssert.Status(await viewer.PostAsync($"/api/sync/dead-letters/{jobId}/retry", null), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HttpAssert.Status(await org.Admin.PostAsync($"/api/sync/dead-letters/{Guid.NewGuid()}/retry", null), HttpStatusCode.NotFound, "NOT_FOUND");
        var other = await app.CreateSyncedOrgAsync();
        await HttpAssert.Status(await other.Admin.PostAsync($"/api/sync/dead-letters/{jobId}/retry", null), HttpStatusCode.NotFound, "NOT_FOUND");

        await HttpAssert.Status(await org.Admin.PostAsync($"/api/sync/dead-letters/{jobId}/retry", null), HttpStatusCode.Accepted);
        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "synced");
        Assert.NotNull(app.Article(externalId));
        Assert.Empty((await SyncApp.GetAsync(org.Admin, "/api/sync/dead-letters")).GetProperty("data").EnumerateArray());
        var after = await SyncApp.GetAsync(org.Admin, "/api/sync/status");
        Assert.Equal((0, 0), (after.GetProperty("deadLetters").GetInt32(), after.GetProperty("failedItems").GetInt32()));
    }

    [Fact]
    public async Task While_AIMS_is_down_jobs_wait_without_spending_attempts_and_drain_on_return()
    {
        var org = await app.CreateSyncedOrgAsync();
        await WarmUpAsync(org);
        app.Aims.Faults.Add(new FaultRule { RouteContains = "*", Kind = FaultKind.Drop, Remaining = int.MaxValue });
        var ids = new List<(Guid Id, string ExternalId)>();
        for (var i = 0; i < 3; i++)
        {
            var externalId = Id("W");
            ids.Add(((await org.Admin.CreateSpaceAsync(externalId)).Id(), externalId));
        }
        await SyncApp.WaitUntilAsync(async () => await app.CountAsync(
            "SELECT count(*) FROM sync_queue WHERE org_id = @OrgId AND last_error IS NOT NULL", new { org.OrgId }) > 0, "a failed try");
        await Task.Delay(1500); // several wait periods pass
        Assert.Equal(0, await app.CountAsync("SELECT coalesce(sum(attempts), 0) FROM sync_queue WHERE org_id = @OrgId", new { org.OrgId }));
        Assert.False((await SyncApp.GetAsync(org.Admin, "/api/sync/status")).GetProperty("solumConnected").GetBoolean());

        app.Aims.Faults.Clear();
        await app.WaitDrainedAsync(org.OrgId);
        foreach (var (id, externalId) in ids)
        {
            await SyncApp.WaitStatusAsync(org.Admin, id, "synced");
            Assert.NotNull(app.Article(externalId));
        }
        Assert.Equal(0, await app.CountAsync("SELECT coalesce(sum(attempts), 0) FROM sync_queue WHERE org_id = @OrgId", new { org.OrgId }));
    }

    [Fact]
    public async Task The_alive_monitor_pauses_pushes_while_AIMS_is_down_and_resumes_them_when_it_is_up()
    {
        var org = await app.CreateSyncedOrgAsync();
        await WarmUpAsync(org);
        var monitor = app.Services.GetRequiredService<ElectisSpace.Core.Sync.Alive.AimsAliveMonitor>();
        // Only the alive check fails: article calls would still succeed, so only the monitor's state can hold the push.
        app.Aims.Faults.Add(new FaultRule { RouteContains = "token", Method = "HEAD", Kind = FaultKind.Status, Status = 503, Remaining = int.MaxValue });
        for (var i = 0; i < ElectisSpace.Core.Sync.Alive.AimsAliveStore.FailuresBeforeDown; i++) await monitor.PingAsync(org.OrgId);
        Assert.False((await SyncApp.GetAsync(org.Admin, "/api/sync/status")).GetProperty("solumConnected").GetBoolean());

        var externalId = Id("A");
        var id = (await org.Admin.CreateSpaceAsync(externalId)).Id();
        await Task.Delay(1500); // several AimsDownWait periods: the job looks again and stays paused
        Assert.Null(app.Article(externalId));
        Assert.Equal(0, await app.CountAsync("SELECT coalesce(sum(attempts), 0) FROM sync_queue WHERE org_id = @OrgId", new { org.OrgId }));

        app.Aims.Faults.Clear();
        Assert.Equal("up", (await monitor.PingAsync(org.OrgId))!.State);
        await SyncApp.WaitStatusAsync(org.Admin, id, "synced");
        Assert.NotNull(app.Article(externalId));
        Assert.True((await SyncApp.GetAsync(org.Admin, "/api/sync/status")).GetProperty("solumConnected").GetBoolean());
    }

    /// <summary>Login and the article format are cached after the first push, so injected faults hit only the article calls.</summary>
    private async Task WarmUpAsync(TestOrg org)
    {
        var s = await org.Admin.CreateSpaceAsync(Id("U"));
        await SyncApp.WaitStatusAsync(org.Admin, s.Id(), "synced");
    }
}

public sealed class PostgresPushTests(SyncApp app) : PushScenarios(app), IClassFixture<SyncApp>;

public sealed class AzureStoragePushTests(AzureSyncApp app) : PushScenarios(app), IClassFixture<AzureSyncApp>;
