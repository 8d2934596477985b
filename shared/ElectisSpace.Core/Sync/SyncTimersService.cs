using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Sync.Alive;
using ElectisSpace.Core.Sync.FullSync;
using ElectisSpace.Core.Sync.Pull;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NCrontab;

namespace ElectisSpace.Core.Sync;

/// <summary>
/// Standalone's sync timers: the alive ping and the pull tick on the same NCRONTAB settings the Functions timer
/// triggers bind (Sync:AliveSchedule, Sync:PullSchedule), parsed with NCrontab as the Functions host does.
/// Off with Sync:TimersEnabled = false.
/// </summary>
public sealed class SyncTimersService(ServerSettings settings, AimsAliveMonitor alive, PullSync pull, TimeProvider time,
    ILogger<SyncTimersService> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        !settings.SyncSchedule.TimersEnabled ? Task.CompletedTask : Task.WhenAll(
            Loop(settings.SyncSchedule.AliveSchedule, ct => alive.PingAllAsync(ct), stoppingToken),
            Loop(settings.SyncSchedule.PullSchedule, ct => pull.RunDueAsync(ct), stoppingToken));

    private async Task Loop(string cron, Func<CancellationToken, Task<int>> tick, CancellationToken ct)
    {
        var schedule = CrontabSchedule.Parse(cron, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        while (!ct.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            try { await Task.Delay(schedule.GetNextOccurrence(now) - now, time, ct); }
            catch (OperationCanceledException) { return; }
            try { await tick(ct); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "Sync timer ({Cron}) tick failed", cron); }
        }
    }
}

public static class SyncHostRegistration
{
    /// <summary>Standalone only: timers as a hosted service, full syncs as background jobs (Functions uses timer triggers and Durable).</summary>
    public static IServiceCollection AddStandaloneSync(this IServiceCollection services)
    {
        services.AddSingleton<BackgroundFullSyncStarter>();
        services.AddSingleton<IFullSyncStarter>(sp => sp.GetRequiredService<BackgroundFullSyncStarter>());
        services.AddHostedService<SyncTimersService>();
        return services;
    }
}
