using System.Net;
using System.Net.Http.Json;
using Dapper;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.People;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;
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

    [Fact]
    public async Task The_sequence_migration_keeps_existing_pool_ids_and_starts_above_every_number_given_out()
    {
        // A database as it was before migration 0007: per-organization counters, people on POOL ids.
        var pg = await PostgresServer.GetAsync();
        var name = $"pool_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(pg.ConnectionString("postgres")))
            await admin.ExecuteAsync($"CREATE DATABASE {name}");
        await using var ds = NpgsqlDataSource.Create(pg.ConnectionString(name));
        await using var conn = await ds.OpenConnectionAsync();
        await conn.ExecuteAsync("""
            CREATE TABLE schema_migrations (version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                                            applied_at timestamptz NOT NULL DEFAULT now())
            """);
        foreach (var m in MigrationRunner.Embedded().Where(m => string.CompareOrdinal(m.Version, "0007") < 0))
        {
            await conn.ExecuteAsync(m.Sql);
            await conn.ExecuteAsync("INSERT INTO schema_migrations (version, name, checksum) VALUES (@Version, @Name, @Checksum)", m);
        }
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        await conn.ExecuteAsync("""
            INSERT INTO organizations (id, name, code) VALUES (@a, 'A', 'POOLA'), (@b, 'B', 'POOLB');
            INSERT INTO pool_counters (org_id, next_number) VALUES (@a, 43), (@b, 8);
            INSERT INTO people (org_id, virtual_space_id) VALUES (@a, 'POOL-0041'), (@a, 'POOL-0042'), (@b, 'POOL-0007'), (@b, 'POOL-12345');
            """, new { a, b });

        Assert.Contains("0007_pool_sequence", await MigrationRunner.RunAsync(ds));

        Assert.Equal(["POOL-0007", "POOL-0041", "POOL-0042", "POOL-12345"],
            await conn.QueryAsync<string>("SELECT virtual_space_id FROM people ORDER BY virtual_space_id"));
        // Above POOL-12345 (a number found on a person beyond its organization's counter), so nothing is handed out twice.
        Assert.Equal("POOL-12346", await conn.ExecuteScalarAsync<string>("SELECT next_pool_id()"));
        Assert.Null(await conn.ExecuteScalarAsync<string>("SELECT to_regclass('pool_counters')::text"));
    }
}
