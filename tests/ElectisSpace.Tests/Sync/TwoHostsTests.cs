using Xunit.Abstractions;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// Issue 33 item 7, scaled down (1,000 changes; the bench's two-hosts mode runs 10,000): two Standalone host processes
/// on one database and one Azurite queue, one SIGKILLed mid-burst and restarted (TwoHostsScenario).
/// </summary>
public sealed class TwoHostsTests(ManualSyncApp app, ITestOutputHelper output) : IClassFixture<ManualSyncApp>
{
    [Fact]
    public async Task Two_hosts_one_killed_mid_burst_every_change_ends_in_AIMS_in_order_a_full_sync_runs_once_and_kept_lists_see_the_other_host()
    {
        const int changes = 1000;
        var r = await TwoHostsScenario.RunAsync(app.ConnectionString, app.Settings(), app.Azurite!, app.Aims, changes, output.WriteLine);
        foreach (var line in r.Lines()) output.WriteLine(line);

        Assert.Equal(changes, r.Changes); // each change counted once, on the host that committed it
        Assert.True(r.ChangesOnA > r.ChangesOnRestartedA && r.ChangesOnRestartedA > 0 && r.ChangesOnB > 0, "changes spread over both hosts, A before and after its restart");
        Assert.Equal(r.Changes, r.ChangesInAims + r.ChangesDead);
        Assert.Equal((0, 0, 0L), (r.Missing, r.OrderViolations, r.JobsLeftActive));

        Assert.Equal((1, 1, true), (r.FullSyncJobs, r.FullSyncStartedAnswers, r.FullSyncSameJob));
        Assert.StartsWith("completed", r.FullSyncStatus);

        Assert.True(r.KeptListShowsWrite, "a list page kept on A shows B's write");
        Assert.True(r.KeptItemShowsWrite, "a space kept on A shows B's write");
    }
}
