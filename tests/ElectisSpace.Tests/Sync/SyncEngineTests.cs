using System.Net;
using System.Net.Http.Json;
using System.Text;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Sync.Alive;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Sync;

/// <summary>Pull, full sync and alive against real PostgreSQL and the AIMS emulator, through the public API.</summary>
public sealed class SyncEngineTests(SyncTestApp app) : IClassFixture<SyncTestApp>
{
    private const string Label = "0470A1B20001"; // a label of the emulator's default seed

    private static async Task<string?> SpaceName(SyncWorld w, string externalId)
    {
        var list = await HttpAssert.Status(await w.Org.Admin.GetAsync($"/api/spaces?search={externalId}"), HttpStatusCode.OK);
        var space = list.GetProperty("data").EnumerateArray().Single(s => s.GetProperty("externalId").GetString() == externalId);
        return space.GetProperty("data").TryGetProperty("name", out var n) ? n.GetString() : null;
    }

    [Theory]
    [InlineData("newest-wins", "AIMS edit", "aims")]   // AIMS edited last
    [InlineData("server-wins", "Server edit", "server")]
    [InlineData("aims-wins", "AIMS edit", "aims")]
    public async Task Pull_applies_an_AIMS_side_edit_under_each_strategy_and_records_the_conflict(string strategy, string expected, string winner)
    {
        await using var w = await SyncWorld.CreateAsync(app, strategy);
        await w.Org.Admin.CreateSpaceAsync("D-1", data: new { name = "Original" });
        await w.Org.Admin.CreateSpaceAsync("D-2", data: new { name = "Untouched" });
        await w.FullSyncAsync();
        Assert.Equal("Original", w.AimsArticle("D-1")!.Data["name"]);

        // An AIMS-only edit (D-2) and a change on both sides (D-1: the server first, AIMS a second later).
        var id = (await HttpAssert.Status(await w.Org.Admin.GetAsync("/api/spaces?search=D-1"), HttpStatusCode.OK)).GetProperty("data")[0].Id();
        await HttpAssert.Status(await w.Org.Admin.PatchAsJsonAsync($"/api/spaces/{id}", new { data = new { name = "Server edit" } }), HttpStatusCode.OK);
        await Task.Delay(1100); // AIMS keeps lastModified to the second
        await w.EditInAimsAsync("D-1", new() { ["name"] = "AIMS edit" });
        await w.EditInAimsAsync("D-2", new() { ["name"] = "Edited in AIMS" });

        var job = await w.PullAsync();
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(expected, await SpaceName(w, "D-1"));
        Assert.Equal("Edited in AIMS", await SpaceName(w, "D-2"));
        Assert.Equal(1, SyncWorld.Stat(job, "conflicts"));
        var conflict = Assert.Single(job.GetProperty("conflicts").EnumerateArray());
        Assert.Equal(("D-1", "data", winner, strategy),
            (conflict.Str("articleId"), conflict.Str("kind"), conflict.Str("winner"), conflict.Str("strategy")));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM sync_conflicts WHERE org_id = @o AND article_id = 'D-1'", new { o = w.Org.OrgId }));
    }

    [Fact]
    public async Task An_article_deleted_in_AIMS_is_repaired()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        var space = await w.Org.Admin.CreateSpaceAsync("R-1", data: new { name = "Repair me" });
        await w.FullSyncAsync();
        await w.Client.DeleteArticlesAsync(w.Conn, ["R-1"]);
        Assert.Null(w.AimsArticle("R-1"));

        // The pull queues the repair for the push path; a full sync writes it at once.
        var before = (await app.OutboxAsync(w.Org.OrgId, space.Id())).Count;
        await w.PullAsync();
        Assert.Contains(await app.OutboxAsync(w.Org.OrgId, space.Id()), o => o.Action == "upsert_article");
        Assert.True((await app.OutboxAsync(w.Org.OrgId, space.Id())).Count > before);
        var job = await w.FullSyncAsync();
        Assert.Equal("Repair me", w.AimsArticle("R-1")!.Data["name"]);
        Assert.Equal(1, SyncWorld.Stat(job, "uploaded"));
    }

    [Fact]
    public async Task A_label_unlinked_in_AIMS_is_reflected_and_one_linked_there_is_taken_in()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        var space = await w.Org.Admin.CreateSpaceAsync("L-1", labelCode: Label, data: new { name = "Labelled" });
        await w.Org.Admin.CreateSpaceAsync("L-2", data: new { name = "Bare" });
        await w.FullSyncAsync();
        Assert.Contains("L-1", w.Aims.State.Label(EmulatorSeed.DefaultCompany, EmulatorSeed.DefaultStore, Label)!.ArticleIds);

        await w.Client.UnlinkLabelsAsync(w.Conn, [Label]);
        await w.PullAsync();
        var got = await HttpAssert.Status(await w.Org.Admin.GetAsync($"/api/spaces/{space.Id()}"), HttpStatusCode.OK);
        Assert.Null(got.Str("labelCode"));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM label_assignments WHERE org_id = @o", new { o = w.Org.OrgId }));

        await w.Client.LinkLabelAsync(w.Conn, Label, "L-2");
        await w.PullAsync();
        var bare = (await HttpAssert.Status(await w.Org.Admin.GetAsync("/api/spaces?search=L-2"), HttpStatusCode.OK)).GetProperty("data")[0];
        Assert.Equal(Label, bare.Str("labelCode"));
    }

    [Fact]
    public async Task The_alive_state_flips_on_emulator_stop_and_start_and_each_flip_is_audited_once()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        var monitor = app.Services.GetRequiredService<AimsAliveMonitor>();
        var availability = app.Services.GetRequiredService<AimsAliveStore>();
        Assert.Equal("up", (await monitor.PingAsync(w.Org.OrgId))!.State);

        var port = w.Aims.BaseUrl.Port;
        await w.Aims.DisposeAsync(); // AIMS goes away
        for (var i = 1; i <= AimsAliveStore.FailuresBeforeDown; i++)
        {
            var s = (await monitor.PingAsync(w.Org.OrgId))!;
            Assert.Equal(i < AimsAliveStore.FailuresBeforeDown ? "up" : "down", s.State);
        }
        await monitor.PingAsync(w.Org.OrgId);
        Assert.True(await availability.IsDownAsync(w.Org.OrgId));
        var detailed = await HttpAssert.Status(await w.Org.Admin.GetAsync("/api/health/detailed"), HttpStatusCode.OK);
        Assert.Equal("down", detailed.GetProperty("aimsAlive").GetProperty("state").GetString());
        var ready = await HttpAssert.Status(await app.Client().GetAsync("/api/health/ready"), HttpStatusCode.OK);
        Assert.True(ready.GetProperty("aimsAlive").GetProperty("down").GetInt64() >= 1);

        // AIMS is back on the same address.
        var restarted = EmulatorApp.Build([], EmulatorSeed.CreateDefault(), new EmulatorOptions(), $"http://127.0.0.1:{port}");
        await restarted.StartAsync();
        try
        {
            Assert.Equal("up", (await monitor.PingAsync(w.Org.OrgId))!.State);
            Assert.False(await availability.IsDownAsync(w.Org.OrgId));
        }
        finally { await restarted.StopAsync(); await restarted.DisposeAsync(); }
        w.Aims = await AimsEmulatorHost.StartAsync(); // something for DisposeAsync

        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND action = 'aims_down'", new { o = w.Org.OrgId }));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND action = 'aims_up'", new { o = w.Org.OrgId }));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM aims_status WHERE org_id = @o", new { o = w.Org.OrgId }));
    }

    [Fact]
    public async Task A_full_sync_of_10000_articles_with_conflicts_planted_on_both_sides_ends_with_both_sides_equal()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        const int n = 10_000;
        var csv = new StringBuilder("externalId,name\n");
        for (var i = 0; i < n; i++) csv.Append($"S{i:0000},Desk {i}\n");
        await HttpAssert.Status(await w.Org.Admin.PostAsync("/api/spaces/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv")), HttpStatusCode.OK);
        var first = await w.FullSyncAsync(seconds: 300); // 10,000 writes through the outbox
        Assert.Equal((n, 0, 0), (SyncWorld.Stat(first, "uploaded"), SyncWorld.Stat(first, "conflicts"), SyncWorld.Stat(first, "errors")));

        // Server-side edits (50), both sides (20: server first, AIMS later → newest-wins takes AIMS), AIMS-only edits (50),
        // deleted in AIMS (10), created in AIMS (5).
        var server = new StringBuilder("externalId,name\n");
        for (var i = 0; i < 70; i++) server.Append($"S{i:0000},Server {i}\n");
        await HttpAssert.Status(await w.Org.Admin.PostAsync("/api/spaces/import", new StringContent(server.ToString(), Encoding.UTF8, "text/csv")), HttpStatusCode.OK);
        await Task.Delay(1100);
        for (var i = 50; i < 120; i++) await w.EditInAimsAsync($"S{i:0000}", new() { ["name"] = $"AIMS {i}" });
        await w.Client.DeleteArticlesAsync(w.Conn, Enumerable.Range(200, 10).Select(i => $"S{i:0000}").ToList());
        for (var i = 0; i < 5; i++) await w.EditInAimsAsync($"NEW{i}", new() { ["name"] = $"New {i}" });

        var job = await w.FullSyncAsync();
        Assert.Equal(20, SyncWorld.Stat(job, "conflicts"));
        Assert.Equal(20 + 50 + 5, SyncWorld.Stat(job, "downloaded"));
        Assert.Equal(50 + 10, SyncWorld.Stat(job, "uploaded"));
        Assert.Equal(0, SyncWorld.Stat(job, "errors"));
        Assert.Equal(n - 10 + 5, SyncWorld.Stat(job, "read"));

        // Both sides equal: every space's name is its article's, and nothing is left unsynced.
        var spaces = (await app.Db.ReadAsync(c => Dapper.SqlMapper.QueryAsync<(string Id, string Name)>(c,
            "SELECT external_id, data->>'name' FROM spaces WHERE org_id = @o", new { o = w.Org.OrgId }))).ToDictionary(s => s.Id, s => s.Name);
        var articles = w.AimsArticles().ToDictionary(a => a.ArticleId, a => a.Data["name"]);
        Assert.Equal(n + 5, spaces.Count);
        Assert.Equal(spaces.OrderBy(s => s.Key), articles.OrderBy(a => a.Key));
        Assert.Equal("Server 0", spaces["S0000"]);
        Assert.Equal("AIMS 60", spaces["S0060"]);   // both sides: AIMS was newer
        Assert.Equal("AIMS 100", spaces["S0100"]);  // AIMS only
        Assert.Equal("Desk 205", articles["S0205"]); // repaired
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o AND sync_status <> 'synced'", new { o = w.Org.OrgId }));
    }

    [Fact]
    public async Task Two_full_syncs_at_once_run_as_one()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        await w.Org.Admin.CreateSpaceAsync("T-1");
        w.Aims.Faults.Delay("config/article/info", TimeSpan.FromSeconds(1), count: 5); // keep the first one running
        var both = await Task.WhenAll(w.TriggerAsync("full"), w.TriggerAsync("full"),
            SpacesSyncAsync(w));
        Assert.Single(both.Select(b => b.JobId).Distinct());
        Assert.Equal(1, both.Count(b => !b.AlreadyRunning)); // one started it, the others were answered with it
        await w.WaitJobAsync(both[0].Item1);
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM sync_jobs WHERE org_id = @o AND type = 'full'", new { o = w.Org.OrgId }));
        var list = await HttpAssert.Status(await w.Org.Admin.GetAsync("/api/sync/jobs?type=full"), HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("pagination").GetProperty("total").GetInt64());
    }

    private static async Task<(Guid JobId, bool AlreadyRunning)> SpacesSyncAsync(SyncWorld w)
    {
        var body = await HttpAssert.Status(await w.Org.Admin.PostAsync("/api/spaces/sync", null), HttpStatusCode.Accepted);
        return (body.GetProperty("jobId").GetGuid(), body.GetProperty("alreadyRunning").GetBoolean());
    }

    [Fact]
    public async Task AIMS_failing_mid_sync_is_retried_then_counted_as_errors_and_the_job_completes()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        for (var i = 0; i < 5; i++) await w.Org.Admin.CreateSpaceAsync($"F-{i}");
        // A refusal (not retryable): the outbox buries the writes at once, and the full sync counts them.
        w.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "POST", Status = 400, Remaining = 1000 });
        var job = await w.FullSyncAsync();
        Assert.Equal((5, 0), (SyncWorld.Stat(job, "errors"), SyncWorld.Stat(job, "uploaded")));
        Assert.True(w.Aims.Count("POST", "/articles") >= 1);
        Assert.Equal(5, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o AND sync_status = 'failed' AND sync_error IS NOT NULL",
            new { o = w.Org.OrgId }));
        Assert.Empty(w.AimsArticles());
    }

    [Fact]
    public async Task AIMS_unreachable_at_start_fails_the_job_with_a_reason_and_changes_nothing()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        await w.Org.Admin.CreateSpaceAsync("U-1", data: new { name = "Kept" });
        await w.EditInAimsAsync("U-2", new() { ["name"] = "Would be imported" });
        await w.Aims.DisposeAsync();
        var (id, _) = await w.TriggerAsync("full");
        var job = await w.WaitJobAsync(id);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains("unreachable", job.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o AND sync_status = 'pending'", new { o = w.Org.OrgId }));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o", new { o = w.Org.OrgId }));
        w.Aims = await AimsEmulatorHost.StartAsync();
    }

    [Fact]
    public async Task Sync_routes_check_permissions_and_ids()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        var viewer = await w.Org.ClientForRoleAsync("viewer");
        await HttpAssert.Status(await viewer.PostAsJsonAsync("/api/sync/trigger", new { type = "full" }), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HttpAssert.Status(await viewer.GetAsync("/api/sync/jobs"), HttpStatusCode.OK);
        await HttpAssert.Status(await viewer.GetAsync($"/api/sync/jobs/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await w.Org.Admin.PostAsJsonAsync("/api/sync/trigger", new { type = "sideways" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var other = await app.CreateOrgAsync();
        var (jobId, _) = await w.TriggerAsync("pull");
        await HttpAssert.Status(await other.Admin.GetAsync($"/api/sync/jobs/{jobId}"), HttpStatusCode.NotFound, "NOT_FOUND");
    }
}
