using System.Text.Json;
using ElectisSpace.Core.Sync;
using ElectisSpace.Core.Sync.Push;
using ElectisSpace.Functions;
using ElectisSpace.Tests.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Functions;

/// <summary>`func start` with the sample settings pushes: the Functions app has a consumer for the queue provider it runs with.</summary>
public sealed class FunctionsQueueProviderTests
{
    private static Dictionary<string, string?> Sample()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(SettingsNamesTests.RepoRoot(), "local.settings.sample.json")));
        return doc.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name.Replace("__", ":"), p => (string?)p.Value.GetString());
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings) =>
        FunctionsApp.ConfigureServices(new ServiceCollection().AddLogging(), new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();

    [Fact]
    public void The_sample_settings_run_the_queue_trigger_on_Azurite()
    {
        var sample = Sample();
        Assert.Equal("AzureStorage", sample["Queue:Provider"]);
        Assert.Equal("UseDevelopmentStorage=true", sample["AzureWebJobsStorage"]); // Azurite, the design's local setup
        using var services = Build(sample);
        Assert.IsType<AzurePushQueue>(services.GetRequiredService<IPushQueue>());
    }

    [Fact]
    public void The_app_refuses_to_start_with_a_provider_it_has_no_consumer_for()
    {
        var settings = Sample();
        settings["Queue:Provider"] = "Postgres";
        var e = Assert.Throws<InvalidOperationException>(() => Build(settings));
        Assert.Contains("Queue:Provider", e.Message);
        Assert.Contains("AzureStorage", e.Message);
    }

    [Fact]
    public async Task The_sweep_timer_sweeps_every_Sync_SweepIntervalSeconds()
    {
        var settings = Sample();
        settings["Database:ConnectionString"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=1";
        settings["Sync:SweepIntervalSeconds"] = "3600";
        await using var services = Build(settings);
        var functions = ActivatorUtilities.CreateInstance<SyncFunctions>(services);

        // The first tick sweeps (here: fails on the unreachable database, proving it ran); the next ticks within the
        // interval do not touch the database at all.
        await Assert.ThrowsAnyAsync<Exception>(() => functions.Sweep(null!, CancellationToken.None));
        await functions.Sweep(null!, CancellationToken.None);
        await functions.Sweep(null!, CancellationToken.None);
    }
}
