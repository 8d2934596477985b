using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Core;

/// <summary>The services both hosts register, from one call, so Functions and Standalone can't drift apart.</summary>
public static class ServiceRegistration
{
    public static IServiceCollection AddElectisSpace(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = ServerSettings.Load(configuration);
        DefaultTypeMap.MatchNamesWithUnderscores = true;

        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddNpgsqlDataSource(settings.PooledConnectionString);
        services.AddSingleton<Db>();
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<RefreshTokens>();
        services.AddSingleton<Passwords>();
        services.AddSingleton<RateLimiter>();
        services.AddSingleton<RequestAuthenticator>();
        services.AddSingleton<ElectisSpace.Core.Settings.SecretBox>();
        services.AddAimsClient(settings.Aims);
        services.AddSingleton<AimsConnections>();
        services.AddSingleton<ElectisSpace.Core.Health.IAimsAliveProbe, AimsAliveProbe>();
        return services;
    }
}
