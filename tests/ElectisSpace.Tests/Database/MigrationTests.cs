using Dapper;
using ElectisSpace.Core.Database;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Tests.Database;

public sealed class MigrationTests
{
    [Fact]
    public async Task Two_instances_migrating_an_empty_database_at_once_apply_each_migration_exactly_once()
    {
        var pg = await PostgresServer.GetAsync();
        var name = $"mig_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(pg.ConnectionString("postgres")))
            await admin.ExecuteAsync($"CREATE DATABASE {name}");
        await using var a = NpgsqlDataSource.Create(pg.ConnectionString(name));
        await using var b = NpgsqlDataSource.Create(pg.ConnectionString(name));

        var results = await Task.WhenAll(MigrationRunner.RunAsync(a), MigrationRunner.RunAsync(b));

        var expected = MigrationRunner.Embedded().Select(m => m.Name).ToList();
        // One instance applied everything; the other waited on the advisory lock and found nothing left to do.
        Assert.Contains(results, r => r.SequenceEqual(expected));
        Assert.Contains(results, r => r.Count == 0);
        await using var conn = await a.OpenConnectionAsync();
        Assert.Equal(expected.Count, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
        Assert.Empty(await MigrationRunner.RunAsync(a)); // and a restart is a no-op
    }
}
