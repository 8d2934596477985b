using ElectisSpace.Core;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Sync;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Functions;

/// <summary>
/// The Functions app's composition root, apart from Program.cs so tests build the very same container (and call the
/// triggers against it) without starting the worker or connecting to a Functions host.
/// </summary>
public static class FunctionsApp
{
    public static FunctionsApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.UseMiddleware<HttpHardeningMiddleware>(); // security headers + envelope for escaped exceptions (issue 17)
        ConfigureServices(builder.Services, builder.Configuration);
        return builder;
    }

    /// <summary>The app's services (what CreateBuilder registers), for tests that build them without a worker.</summary>
    public static IServiceCollection ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        // The queue trigger below is this app's only push consumer: with the Postgres provider nothing would ever push.
        if (ServerSettings.Load(configuration, HostProfile.Functions).Sync.QueueProvider != QueueProvider.AzureStorage)
            throw new InvalidOperationException(
                $"The Functions app pushes to AIMS only through its Azure Storage queue trigger: set {SettingNames.QueueProvider} to " +
                $"AzureStorage (with {SettingNames.AzureWebJobsStorage}; Azurite locally). The Postgres provider has a consumer only in Standalone.");
        services.AddElectisSpace(configuration, HostProfile.Functions);
        // Changes made through the HTTP functions go to the aims-push queue right after commit (the timer sweeper covers
        // anything missed); the queue, poison and timer triggers do the rest.
        services.AddHostedService<PushDispatcherService>();
        return services;
    }

    /// <summary>Only when Database:RunMigrations is explicitly true (a single-instance or local run).</summary>
    public static async Task MigrateIfEnabledAsync(IServiceProvider services)
    {
        if (services.GetRequiredService<ServerSettings>().RunMigrations)
            await MigrationRunner.RunAsync(services.GetRequiredService<NpgsqlDataSource>());
    }
}
