using ElectisSpace.Core;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Functions;

/// <summary>The Functions app's composition root: Program.cs calls it, and tests build the same services from it.</summary>
public static class FunctionsApp
{
    public static IServiceCollection ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddElectisSpace(configuration);
        // Changes made through the HTTP functions go to the aims-push queue right after commit (the timer sweeper covers
        // anything missed); the queue, poison and timer triggers do the rest.
        services.AddHostedService<PushDispatcherService>();
        return services;
    }
}
