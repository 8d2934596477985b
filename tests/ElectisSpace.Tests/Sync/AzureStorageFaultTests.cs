using ElectisSpace.Core.Sync.Push;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Sync;

/// <summary>Standalone with Queue:Provider = AzureStorage on a real Azurite: poison handling and a queue outage mid-burst.</summary>
public sealed class AzureStorageFaultTests(AzureSyncApp app) : IClassFixture<AzureSyncApp>
{
    [Fact]
    public async Task A_message_that_keeps_failing_is_poisoned_but_fails_no_job_and_its_work_is_pushed_once_the_cause_is_gone()
    {
        var org = await app.CreateSyncedOrgAsync();
        var settings = await app.Db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<string>(c,
            "SELECT settings::text FROM organizations WHERE id = @OrgId", new { org.OrgId }));
        // Unreadable organization settings make every processing of this organization's message throw.
        await app.ExecAsync("UPDATE organizations SET settings = '{\"aims\": 42}'::jsonb WHERE id = @OrgId", new { org.OrgId });
        var externalId = $"PZ{Guid.NewGuid():N}"[..16];
        var space = await org.Admin.CreateSpaceAsync(externalId);

        // Backed-off deliveries, then the poison queue: audited, the job still open, nothing dead-lettered.
        await SyncApp.WaitUntilAsync(async () => await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = @a",
            new { org.OrgId, a = PushConsumer.PoisonAuditAction }) > 0, "the poison message audited", 30_000);
        Assert.Equal("pending", (await app.JobAsync(org.OrgId, space.Id(), "upsert_article")).Status);
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @OrgId AND status = 'dead'", new { org.OrgId }));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = 'sync_failed'", new { org.OrgId }));

        // The cause fixed, the sweeper sends the open job again and it is pushed.
        await app.ExecAsync("UPDATE organizations SET settings = @settings::jsonb WHERE id = @OrgId", new { org.OrgId, settings });
        await SyncApp.WaitStatusAsync(org.Admin, space.Id(), "synced", 30_000);
        Assert.NotNull(app.Article(externalId));
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
