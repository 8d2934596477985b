using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Core;

/// <summary>The services both hosts register, from one call, so Functions and Standalone can't drift apart.</summary>
public static class ServiceRegistration
{
    /// <param name="host">What differs by host (default Standalone): migrations at start, the Functions host's loopback proxy.</param>
    public static IServiceCollection AddElectisSpace(this IServiceCollection services, IConfiguration configuration, HostProfile? host = null)
    {
        var settings = ServerSettings.Load(configuration, host);
        DefaultTypeMap.MatchNamesWithUnderscores = true;

        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddNpgsqlDataSource(settings.PooledConnectionString,
            (sp, builder) => DatabaseAuth.Configure(builder, settings.DatabaseAuth, sp.GetService<Azure.Core.TokenCredential>()));
        services.AddSingleton<Db>();
        services.AddSingleton<Events.EventCommits>();
        services.AddSingleton<Events.EventHub>();
        services.AddSingleton<Events.EventTickets>();
        services.AddSingleton<ListCache>();
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<RefreshTokens>();
        services.AddSingleton<Passwords>();
        services.AddSingleton<RateLimiter>();
        services.AddSingleton<RequestAuthenticator>();
        services.AddSingleton<ElectisSpace.Core.Settings.SecretBox>();
        services.AddAimsClient(settings.Aims);
        services.AddSingleton<AimsConnections>();
        services.AddSingleton<ElectisSpace.Core.Health.IAimsAliveProbe, AimsAliveProbe>();
        // PostConfigure: the Functions worker's ASP.NET Core integration configures these options too; ours must win.
        services.PostConfigure<Microsoft.AspNetCore.Builder.ForwardedHeadersOptions>(o => ClientAddress.Configure(o, settings.TrustedProxies));
        services.AddSingleton<Sync.FullSync.SyncSteps>();
        services.AddSingleton<Sync.Pull.PullSync>();
        services.AddSingleton<Sync.Jobs.SyncJobSweeper>();
        services.AddSingleton<Sync.Alive.AimsAliveStore>();
        services.AddSingleton<Sync.Alive.AimsAliveMonitor>();
        services.AddPushEngine(settings);
        return services;
    }

    /// <summary>The push engine's services (both hosts): queue provider, processor, consumer, dispatch, sweeper.</summary>
    private static IServiceCollection AddPushEngine(this IServiceCollection services, ServerSettings settings)
    {
        services.AddSingleton<IAimsAvailability, ClientFailureAvailability>();
        var queueHost = QueueHostSettings.Load(Path.Combine(AppContext.BaseDirectory, "host.json"));
        services.AddSingleton(queueHost);
        if (settings.Sync.QueueProvider == QueueProvider.AzureStorage)
            services.AddSingleton<IPushQueue>(new AzurePushQueue(settings.Sync.StorageConnection
                ?? throw new InvalidOperationException($"Setting '{SettingNames.AzureWebJobsStorage}' is required when {SettingNames.QueueProvider} is AzureStorage."),
                queueHost.MessageEncoding));
        else
            services.AddSingleton<IPushQueue, PostgresPushQueue>();
        services.AddSingleton<PushSignal>();
        services.AddSingleton<PushProcessor>();
        services.AddSingleton<PushConsumer>();
        services.AddSingleton<PushDispatch>();
        services.AddSingleton<OutboxCommits>();
        services.AddSingleton<PushSweeper>();
        return services;
    }

    /// <summary>
    /// Runs the push engine inside this process (Standalone): the post-commit dispatcher, the queue listener (either
    /// provider), the sweeper and the sync job sweeper, unless Sync:WorkerEnabled is false.
    /// </summary>
    public static IServiceCollection AddPushWorker(this IServiceCollection services, ServerSettings settings)
    {
        if (!settings.Sync.WorkerEnabled) return services;
        services.AddHostedService<PushDispatcherService>();
        services.AddHostedService<PushQueueListener>();
        services.AddHostedService<PushSweeperService>();
        services.AddHostedService<Sync.Jobs.SyncJobSweeperService>();
        return services;
    }
}
