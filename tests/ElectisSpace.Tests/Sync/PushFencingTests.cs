using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Sync.Push;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Sync;

/// <summary>A worker that outlived its lease writes nothing over the result of the claim that took its job over.</summary>
public sealed class PushFencingTests(ManualPostgresSyncApp app) : IClassFixture<ManualPostgresSyncApp>
{
    [Fact]
    public async Task A_worker_past_its_lease_cannot_overwrite_the_newer_claims_result()
    {
        var org = await app.CreateSyncedOrgAsync();
        var space = await org.Admin.CreateSpaceAsync($"FE{Guid.NewGuid():N}"[..16]);
        var processor = app.Services.GetRequiredService<PushProcessor>();

        // Worker A: its article POST answers after 4 s, past its 3 s lease.
        app.Aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "POST", Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(4) });
        var workerA = processor.ProcessOrganizationAsync(org.OrgId);
        await SyncApp.WaitUntilAsync(async () => await app.CountAsync(
            "SELECT count(*) FROM sync_queue WHERE org_id = @OrgId AND status = 'processing' AND locked_until < now()", new { org.OrgId }) == 1,
            "worker A's lease ran out", 10_000);

        // Worker B claims the job again; AIMS refuses it for good: dead letter, entity failed.
        app.Aims.Faults.FailNext("/articles", 1, 400, message: "refused for worker B");
        await processor.ProcessOrganizationAsync(org.OrgId);
        Assert.Equal("dead", (await app.JobAsync(org.OrgId, space.Id(), "upsert_article")).Status);

        // A's late answer is recorded nowhere: B's claim decided.
        await workerA;
        var job = await app.JobAsync(org.OrgId, space.Id(), "upsert_article");
        Assert.Equal("dead", job.Status);
        Assert.Contains("refused for worker B", job.Error);
        Assert.Equal("failed", (await SyncApp.GetAsync(org.Admin, $"/api/spaces/{space.Id()}")).GetProperty("syncStatus").GetString());
    }
}
