using ElectisSpace.AimsEmulator;
using ElectisSpace.Tests.Infrastructure;
using ElectisSpace.Tests.Sync;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// Issue 33 item 7 at full size: the test's scenario (TwoHostsScenario, TwoHostsTests runs it with 1,000 changes) with
/// 10,000 changes, over a durable PostgreSQL, Azurite and the AIMS emulator; prints its counts and rate. Exit code 1 when
/// a check does not hold.
///
///     dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- two-hosts [--changes 10000]
/// </summary>
public static class TwoHostsBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var at = Array.IndexOf(args, "--changes");
        var changes = at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1]) : 10_000;
        await using var pg = await PostgresServer.StartDurableAsync();
        var connectionString = await pg.CreateDatabaseAsync();
        await using var azurite = await AzuriteServer.StartNewAsync();
        await using var aims = await AimsEmulatorHost.StartAsync();
        Console.WriteLine($"two-hosts: {changes:N0} changes, two Standalone processes, Queue:Provider=AzureStorage (Azurite), durable PostgreSQL");

        var r = await TwoHostsScenario.RunAsync(connectionString, HostProcess.Settings(connectionString, aims.BaseUrl, poolSize: null),
            azurite, aims, changes, Console.WriteLine);
        Console.WriteLine();
        foreach (var line in r.Lines()) Console.WriteLine(line);
        var held = r.Changes == r.Keys * TwoHostsScenario.ChangesPerSpace && r.Changes == r.ChangesInAims + r.ChangesDead && r.ChangesOnRestartedA > 0
                   && r is { Missing: 0, OrderViolations: 0, JobsLeftActive: 0, FullSyncJobs: 1, FullSyncStartedAnswers: 1, FullSyncSameJob: true,
                             KeptListShowsWrite: true, KeptItemShowsWrite: true }
                   && r.FullSyncStatus.StartsWith("completed", StringComparison.Ordinal);
        Console.WriteLine(held ? "two-hosts: every check held" : "two-hosts: A CHECK FAILED");
        return held ? 0 : 1;
    }
}
