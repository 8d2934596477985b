using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Sync;

/// <summary>Standalone with Queue:Provider = AzureStorage on a real Azurite: poison handling and a queue outage mid-burst.</summary>
public sealed class AzureStorageFaultTests(AzureSyncApp app) : IClassFixture<AzureSyncApp>
{
    [Fact]
    public async Task A_message_that_keeps_failing_is_poisoned_after_maxDequeueCount_and_its_job_dead_lettered()
    {
        var org = await app.CreateSyncedOrgAsync();
        // Unreadable organization settings make every processing of this organization's message throw.
        await app.ExecAsync("UPDATE organizations SET settings = '{\"aims\": 42}'::jsonb WHERE id = @OrgId", new { org.OrgId });
        var space = await org.Admin.CreateSpaceAsync($"PZ{Guid.NewGuid():N}"[..16]);

        try { await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "failed", 60_000); }
        catch (Xunit.Sdk.XunitException)
        {
            var j = await app.JobAsync(org.OrgId, space.Id(), "upsert_article");
            Assert.Fail($"job {j}; dead {await app.CountAsync("SELECT count(*) FROM sync_queue WHERE status = 'dead'")}");
        }
        var job = await app.JobAsync(org.OrgId, space.Id(), "upsert_article");
        Assert.Equal("dead", job.Status);
        Assert.Contains("poison", job.Error);
        Assert.Equal(0, job.Attempts); // AIMS was never called: no attempt spent
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = 'sync_failed'", new { org.OrgId }));
    }

    [Fact]
    public async Task Azurite_stopped_during_a_burst_loses_nothing_every_change_ends_in_AIMS_or_dead_letters()
    {
        var org = await app.CreateSyncedOrgAsync();
        var ids = Enumerable.Range(0, 40).Select(i => $"AZ{Guid.NewGuid():N}"[..12] + i).ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            if (i == 10) await app.Azurite!.StopAsync();
            await org.Admin.CreateSpaceAsync(ids[i]);
        }
        await Task.Delay(1500); // dispatches and receives fail meanwhile
        await app.Azurite!.StartAsync();

        await app.WaitDrainedAsync(org.OrgId, 60_000);
        var inAims = ids.Count(id => app.Article(id) is not null);
        var dead = await app.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @OrgId AND status = 'dead'", new { org.OrgId });
        Assert.Equal(ids.Count, inAims + dead);
        Assert.Equal(ids.Count, await app.CountAsync(
            "SELECT count(*) FROM spaces WHERE org_id = @OrgId AND sync_status IN ('synced', 'failed')", new { org.OrgId }));
    }
}
