using System.Net;
using System.Net.Http.Json;
using ElectisSpace.Core.People;
using ElectisSpace.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ElectisSpace.Tests.Concurrency;

/// <summary>Issue 18: creating people in one organization does not queue behind a POOL counter.</summary>
public sealed class PoolIdTests(TestApp app, ITestOutputHelper output) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Creating_a_person_does_not_wait_for_another_open_transaction_that_took_a_pool_id()
    {
        var org = await app.CreateOrgAsync();
        // Another transaction (a long import, a list load) has taken a POOL id and has not committed yet.
        await using var conn = await app.Db.DataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var held = await PoolIds.NextAsync(conn, tx);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var created = await HttpAssert.Status(
            await org.Admin.PostAsJsonAsync("/api/people", new { data = new { name = "Not waiting" } }, timeout.Token), HttpStatusCode.Created);
        Assert.NotEqual(held, created.Str("virtualSpaceId"));
        await tx.RollbackAsync();
    }

    [Fact]
    public async Task Fifty_concurrent_creations_in_one_organization_all_succeed_with_distinct_pool_ids()
    {
        var org = await app.CreateOrgAsync();
        var watch = await DeadlockWatch.StartAsync(app);
        var results = await Races.RunAsync(org.Admin, 50,
            ("create person", (h, i) => h.PostAsJsonAsync("/api/people", new { externalId = $"C-{i}", data = new { name = $"Concurrent {i}" } })));
        Races.Report(output, "50 concurrent creations", results);
        await watch.AssertNoneAsync(output, "50 concurrent creations");
        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        var pools = results.Select(r => r.Json.Str("virtualSpaceId")!).ToList();
        Assert.All(pools, p => Assert.Matches(@"^POOL-\d{4,}$", p));
        Assert.Equal(50, pools.Distinct().Count());
        await AssignmentInvariants.AssertAsync(app, org.OrgId, []);
    }
}
