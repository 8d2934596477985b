using System.Net;
using System.Net.Http.Json;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Sync.Push;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// A push claim's lease and fence (lease 3 s in this fixture): a slow push keeps its claim while it lives, a worker that
/// lost its claim stops calling AIMS, and a worker past its lease writes nothing over the newer claim's result.
/// </summary>
public sealed class PushFencingTests(ManualPostgresSyncApp app) : IClassFixture<ManualPostgresSyncApp>
{
    [Fact]
    public async Task A_push_slower_than_its_lease_keeps_its_claim_so_a_newer_edit_is_never_overwritten_in_AIMS()
    {
        var org = await app.CreateSyncedOrgAsync();
        var article = $"SL{Guid.NewGuid():N}"[..16];
        var space = await org.Admin.CreateSpaceAsync(article, data: new { floor = "1" });
        var processor = app.Services.GetRequiredService<PushProcessor>();
        var otherInstance = ActivatorUtilities.CreateInstance<PushProcessor>(app.Services); // worker B, as on another instance

        // Worker A's POST of edit 1 is held on its way to AIMS for longer than the lease.
        var hold = app.Aims.Faults.HoldNext("/articles", "POST");
        var workerA = processor.ProcessOrganizationAsync(org.OrgId);
        await hold.Reached.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        Assert.Equal(1, await app.CountAsync(
            "SELECT count(*) FROM sync_queue WHERE org_id = @OrgId AND status = 'processing' AND locked_until > now()", new { org.OrgId }));

        // Edit 2 meanwhile; worker B finds nothing to claim: A's job still holds the article's key.
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/spaces/{space.Id()}", new { data = new { floor = "2" } }), HttpStatusCode.OK);
        Assert.Equal(0, await otherInstance.ProcessOrganizationAsync(org.OrgId));

        // A's write lands, then edit 2's: AIMS ends at the newest edit, and the server says synced.
        hold.Release.SetResult();
        await workerA;
        await processor.ProcessOrganizationAsync(org.OrgId);
        await app.WaitDrainedAsync(org.OrgId);
        Assert.Equal("2", app.Article(article)!.Data["floor"]);
        Assert.Equal("synced", (await SyncApp.GetAsync(org.Admin, $"/api/spaces/{space.Id()}")).GetProperty("syncStatus").GetString());
    }

    [Fact]
    public async Task A_worker_that_lost_its_claim_stops_calling_AIMS_and_cannot_overwrite_the_newer_claims_result()
    {
        var org = await app.CreateSyncedOrgAsync();
        var article = $"FE{Guid.NewGuid():N}"[..16];
        var space = await org.Admin.CreateSpaceAsync(article);
        var processor = app.Services.GetRequiredService<PushProcessor>();
        var otherInstance = ActivatorUtilities.CreateInstance<PushProcessor>(app.Services); // worker B, as on another instance

        // Worker A's article POST is held on its way to AIMS (never released while A holds the claim).
        var logged = app.Aims.Requests.Snapshot().Count;
        var hold = app.Aims.Faults.HoldNext("/articles", "POST");
        var workerA = processor.ProcessOrganizationAsync(org.OrgId);
        await hold.Reached.Task.WaitAsync(TimeSpan.FromSeconds(15));

        // A's lease lapses as if its renewals could not reach the database; worker B claims the job again and AIMS
        // refuses it for good: dead letter, entity failed.
        await app.ExecAsync("UPDATE sync_queue SET locked_until = now() - interval '1 second' WHERE org_id = @OrgId AND status = 'processing'", new { org.OrgId });
        app.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "POST", Kind = FaultKind.Status, Status = 400, Message = "refused for worker B" });
        await otherInstance.ProcessOrganizationAsync(org.OrgId);
        Assert.Equal("dead", (await app.JobAsync(org.OrgId, space.Id(), "upsert_article")).Status);

        // A notices at its next renewal (every second) and gives up its POST, well before the 5 s attempt timeout would
        // have ended it: nothing of A reaches AIMS, and its end is recorded nowhere.
        // The emulator logs a request when it ends, and sees A's abort only when its connection's close arrives, just
        // after A returned: the hold is released only once that is logged, or a release first would let the POST in.
        static bool OfA(ElectisSpace.AimsEmulator.LoggedRequest r) =>
            r.Method == "POST" && r.Path.EndsWith("/articles", StringComparison.Ordinal) && r.Status != 400; // not B's
        try
        {
            await workerA.WaitAsync(TimeSpan.FromSeconds(10));
            await SyncApp.WaitUntilAsync(() => Task.FromResult(app.Aims.Requests.Snapshot().Skip(logged).Any(OfA)), "A's POST logged", 5_000);
        }
        finally { hold.Release.TrySetResult(); }
        var postOfA = app.Aims.Requests.Snapshot().Skip(logged).Single(OfA);
        Assert.Equal(0, postOfA.Status); // aborted by A
        Assert.True(postOfA.DurationMs < 4000, $"A's POST was given up after {postOfA.DurationMs:F0} ms, not at its next renewal");
        Assert.Null(app.Article(article));
        var job = await app.JobAsync(org.OrgId, space.Id(), "upsert_article");
        Assert.Equal("dead", job.Status);
        Assert.Contains("refused for worker B", job.Error);
        Assert.Equal("failed", (await SyncApp.GetAsync(org.Admin, $"/api/spaces/{space.Id()}")).GetProperty("syncStatus").GetString());
    }
}
