using System.Diagnostics;
using Dapper;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Database;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ElectisSpace.Tests.Database;

/// <summary>
/// `migrate` is how an operator brings the database up to date before a Functions deployment (instances there don't
/// migrate at start): the built Standalone program run as a process, configured by environment variables as in Azure.
/// </summary>
public sealed class MigrateCommandTests
{
    [Fact]
    public async Task Migrate_applies_every_migration_once_and_then_reports_the_database_current()
    {
        var pg = await PostgresServer.GetAsync();
        var name = $"migcmd_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(pg.ConnectionString("postgres")))
            await admin.ExecuteAsync($"CREATE DATABASE {name}"); // empty, not the migrated test template
        var cs = pg.ConnectionString(name);

        var first = await RunAsync(cs);
        Assert.True(first.Exit == 0, first.Output);
        var expected = MigrationRunner.Embedded().Select(m => m.Name).ToList();
        Assert.Contains($"Applied {expected.Count} migration(s)", first.Output);
        await using (var conn = new NpgsqlConnection(cs))
            Assert.Equal(expected, (await conn.QueryAsync<string>("SELECT name FROM schema_migrations ORDER BY version")).ToList());

        var again = await RunAsync(cs);
        Assert.True(again.Exit == 0, again.Output);
        Assert.Contains("up to date", again.Output);
    }

    [Fact]
    public async Task Migrate_fails_with_a_message_and_a_non_zero_exit_when_it_cannot()
    {
        // Nothing listens there: the database's own error is reported.
        var unreachable = await RunAsync("Host=127.0.0.1;Port=1;Username=postgres;Database=none;Timeout=3");
        Assert.NotEqual(0, unreachable.Exit);
        Assert.Contains("migrate failed", unreachable.Output);

        // A required setting missing: named.
        var missing = await RunAsync(null);
        Assert.NotEqual(0, missing.Exit);
        Assert.Contains(SettingNames.DatabaseConnectionString, missing.Output);
    }

    [Fact]
    public void Only_the_Functions_app_leaves_migrations_to_the_operator_by_default()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(TestApp.DefaultSettings("Host=x").Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value))).Build();
        Assert.True(ServerSettings.Load(config, HostProfile.Standalone).RunMigrations);
        Assert.False(ServerSettings.Load(config, HostProfile.Functions).RunMigrations);
        // An explicit setting still wins (a single-instance or local Functions run may migrate at start).
        config[SettingNames.DatabaseRunMigrations] = "true";
        Assert.True(ServerSettings.Load(config, HostProfile.Functions).RunMigrations);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string? connectionString)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ElectisSpace.Standalone.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "migrate"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (k, v) in TestApp.DefaultSettings(connectionString ?? ""))
            if (k != SettingNames.DatabaseConnectionString || connectionString is not null) psi.Environment[k.Replace(":", "__")] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}
