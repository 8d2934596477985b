using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// Issue #33 items 2 and 6: a full sync pushes through the outbox (one push path, one "synced" rule), and a label AIMS
/// refuses is never silently unassigned (the entity fails with the reason) unless the organization's strategy lets AIMS win.
/// </summary>
public sealed class FullSyncOutboxTests(SyncApp app) : IClassFixture<SyncApp>
{
    private static string Id(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..16].ToUpperInvariant();

    [Fact]
    public async Task Edits_landing_while_a_full_sync_writes_the_same_spaces_leave_AIMS_equal_to_the_server_every_round()
    {
        await using var w = await SyncWorld.CreateAsync(app);
        var spaces = new List<(Guid Id, string Article)>();
        for (var i = 0; i < 4; i++)
        {
            var article = Id($"R{i}");
            spaces.Add(((await w.Org.Admin.CreateSpaceAsync(article, data: new { floor = "0" })).Id(), article));
        }
        await app.WaitDrainedAsync(w.Org.OrgId);

        for (var round = 1; round <= 25; round++)
        {
            // AIMS lost the articles, so the full sync plans to write them; its write is held on the way to AIMS
            // while the same spaces are edited through the API (an edit landing between the plan and the push).
            await w.Client.DeleteArticlesAsync(w.Conn, spaces.Select(s => s.Article).ToList());
            var hold = w.Aims.Faults.HoldNext("/articles", "POST");
            var (jobId, _) = await w.TriggerAsync("full");
            await hold.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var watermark = await app.CountAsync("SELECT coalesce(max(seq), 0) FROM sync_queue");
            foreach (var s in spaces)
                await HttpAssert.Status(await w.Org.Admin.PatchAsJsonAsync($"/api/spaces/{s.Id}", new { data = new { floor = $"{round}" } }), HttpStatusCode.OK);
            // Each edit's own push has either reached AIMS or waits behind the held write of the same article.
            await SyncApp.WaitUntilAsync(async () => await app.CountAsync("""
                SELECT count(*) FROM sync_queue e
                WHERE e.org_id = @orgId AND e.entity_id = ANY(@ids) AND e.action = 'upsert_article' AND e.seq > @watermark
                  AND (e.status = 'completed' OR EXISTS (SELECT 1 FROM sync_queue h WHERE h.org_id = e.org_id AND h.aims_key = e.aims_key
                                                         AND h.seq < e.seq AND h.status = 'processing'))
                """, new { orgId = w.Org.OrgId, ids = spaces.Select(s => s.Id).ToArray(), watermark }) == spaces.Count,
                "the edits pushed or queued behind the held write");
            hold.Release.SetResult();
            Assert.Equal("completed", (await w.WaitJobAsync(jobId)).GetProperty("status").GetString());
            await app.WaitDrainedAsync(w.Org.OrgId);

            foreach (var s in spaces)
            {
                var server = await SyncApp.GetAsync(w.Org.Admin, $"/api/spaces/{s.Id}");
                Assert.Equal($"{round}", server.GetProperty("data").GetProperty("floor").GetString());
                Assert.Equal((round, "synced", $"{round}"), (round, server.GetProperty("syncStatus").GetString(), w.AimsArticle(s.Article)?.Data["floor"]));
            }
        }
    }

    private static async Task<List<(string Url, string Label)>> UnknownLabelsAsync(SyncWorld w)
    {
        var entities = new List<(string, string)>();
        for (var i = 0; i < 3; i++)
        {
            var label = $"0999FFFF{i:X4}";
            entities.Add(($"/api/spaces/{(await w.Org.Admin.CreateSpaceAsync(Id("U"), labelCode: label)).Id()}", label));
        }
        for (var i = 0; i < 2; i++)
        {
            var label = $"0999EEEE{i:X4}";
            entities.Add(($"/api/conference/{(await w.Org.Admin.CreateRoomAsync(Id("C"), labelCode: label)).Id()}", label));
        }
        return entities;
    }

    [Fact]
    public async Task Labels_AIMS_does_not_know_stay_assigned_and_their_entities_fail_with_the_reason_until_AIMS_has_them()
    {
        await using var w = await SyncWorld.CreateAsync(app, "server-wins");
        var entities = await UnknownLabelsAsync(w);
        await app.WaitDrainedAsync(w.Org.OrgId);
        // A later edit of the first space reaches AIMS, so it is synced though its label never was linked.
        await HttpAssert.Status(await w.Org.Admin.PatchAsJsonAsync(entities[0].Url, new { data = new { floor = "2" } }), HttpStatusCode.OK);
        await app.WaitDrainedAsync(w.Org.OrgId);

        for (var sync = 0; sync < 2; sync++)
        {
            await w.FullSyncAsync();
            await app.WaitDrainedAsync(w.Org.OrgId);
            foreach (var (url, label) in entities)
            {
                var e = await SyncApp.GetAsync(w.Org.Admin, url);
                Assert.Equal((url, label, "failed"), (url, e.Str("labelCode"), e.Str("syncStatus")));
                Assert.Contains("LABEL_NOT_FOUND", e.Str("syncError"));
            }
        }

        // The labels now exist in AIMS: the next full sync links them and the entities become synced.
        w.Aims.State.Seed(new EmulatorSeed
        {
            Companies = [new SeedCompany { Code = EmulatorSeed.DefaultCompany, Stores =
                [new SeedStore { Code = EmulatorSeed.DefaultStore, Labels = entities.Select(e => new SeedLabel { Code = e.Label }).ToList() }] }],
        });
        await w.FullSyncAsync();
        await app.WaitDrainedAsync(w.Org.OrgId);
        foreach (var (url, label) in entities)
        {
            var e = await SyncApp.GetAsync(w.Org.Admin, url);
            Assert.Equal((url, label, "synced"), (url, e.Str("labelCode"), e.Str("syncStatus")));
            Assert.Single(w.Aims.State.Label(EmulatorSeed.DefaultCompany, EmulatorSeed.DefaultStore, label)!.ArticleIds);
        }
    }

    [Fact]
    public async Task With_aims_wins_labels_AIMS_does_not_know_are_unassigned_each_audited_and_counted()
    {
        await using var w = await SyncWorld.CreateAsync(app, "aims-wins");
        var entities = await UnknownLabelsAsync(w);
        await app.WaitDrainedAsync(w.Org.OrgId);

        var job = await w.FullSyncAsync();
        await app.WaitDrainedAsync(w.Org.OrgId);
        Assert.Equal(entities.Count, SyncWorld.Stat(job, "labelsTakenFromAims"));
        foreach (var (url, _) in entities)
        {
            var e = await SyncApp.GetAsync(w.Org.Admin, url);
            Assert.Equal((url, (string?)null, "synced"), (url, e.Str("labelCode"), e.Str("syncStatus")));
        }
        var audit = await SyncApp.GetAsync(w.Org.Admin, "/api/audit?action=sync_label_from_aims");
        var rows = audit.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(entities.Count, rows.Count);
        Assert.All(rows, r => Assert.Contains("0999", r.GetProperty("oldData").GetRawText()));
    }
}
