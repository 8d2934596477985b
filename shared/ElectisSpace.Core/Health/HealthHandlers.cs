using System.Diagnostics;
using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Health;

/// <summary>Reachability of the AIMS cloud, as the readiness check sees it.</summary>
public sealed record AimsAlive(string Status, double? LatencyMs, string? Error, DateTimeOffset CheckedAt);

/// <summary>Probes AIMS without credentials; implemented in Aims/ on top of the one AIMS client.</summary>
public interface IAimsAliveProbe
{
    Task<AimsAlive> CheckAsync(CancellationToken ct);
    /// <summary>The result of the most recent probe (readiness or the alive timer), if any.</summary>
    AimsAlive? Last { get; }
}

public sealed record ConnectionCounts(long Total, long Active);
public sealed record DatabaseHealth(string Status, double? LatencyMs, string? Error, ConnectionCounts? Connections);
public sealed record AimsHealth(string Status, DateTimeOffset LastPing, double? LatencyMs, string? Error);
public sealed record MemoryUsage(long WorkingSetMb, long ManagedHeapMb, string Unit);
public sealed record SyncQueueCounts(long Pending, long Processing, long Failed, long Dead);
public sealed record DetailedHealthResponse(string Status, long UptimeSeconds, string Version, MemoryUsage Memory,
    DatabaseHealth Database, AimsHealth? Aims, SyncQueueCounts SyncQueue, ElectisSpace.Core.Sync.Alive.AimsAliveState? AimsAlive = null);
/// <summary>The alive timer's view across organizations: how many organizations' AIMS is down (informational: not part of "ok").</summary>
public sealed record AimsAliveSummary(long Down, long Total);
public sealed record LiveResponse(string Status, DateTimeOffset Timestamp);
public sealed record CheckResult(string Status, double? LatencyMs = null, string? Error = null);
public sealed record AimsAliveResponse(string Status, DateTimeOffset Timestamp, double? LatencyMs, string? Error);
public sealed record ReadyResponse(string Status, DateTimeOffset Timestamp, IReadOnlyDictionary<string, CheckResult> Checks,
    AimsAliveSummary? AimsAlive = null);

/// <summary>/api/health: liveness (touches nothing), readiness (database + AIMS), detailed (admin).</summary>
public static class HealthHandlers
{
    private static readonly DateTimeOffset StartedAt = DateTimeOffset.UtcNow;
    private static readonly string Version =
        typeof(HealthHandlers).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public static Task<IResult> Live(HttpRequest req) => Api.Run(req, _ =>
        Task.FromResult(ApiResults.Ok(new LiveResponse("ok", DateTimeOffset.UtcNow))));

    public static Task<IResult> Ready(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var database = CheckDatabaseAsync(ctx);
        var aims = CheckAimsAsync(ctx);
        var checks = new Dictionary<string, CheckResult> { ["database"] = await database, ["aims"] = await aims };
        var ok = checks.Values.All(c => c.Status is "ok" or "not-configured");
        // Organizations' own AIMS (alive timer): shown, but one tenant's AIMS being down must not take the instance out of rotation.
        AimsAliveSummary? alive = null;
        if (checks["database"].Status == "ok")
            try { var (down, total) = await ctx.Service<ElectisSpace.Core.Sync.Alive.AimsAliveStore>().CountsAsync(ctx.Aborted); alive = new(down, total); }
            catch (NpgsqlException) { }
        var body = new ReadyResponse(ok ? "ok" : "degraded", DateTimeOffset.UtcNow, checks, alive);
        return Results.Json(body, Json.Options, statusCode: ok ? 200 : 503);
    });

    public static Task<IResult> Aims(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var r = await ctx.Service<IAimsAliveProbe>().CheckAsync(ctx.Aborted);
        return Results.Json(new AimsAliveResponse(r.Status, r.CheckedAt, r.LatencyMs, r.Error), Json.Options,
            statusCode: r.Status == "error" ? 503 : 200);
    });

    public static Task<IResult> Detailed(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var database = await CheckDatabaseAsync(ctx);
        var (connections, queue) = database.Status == "ok"
            ? await ctx.Service<Db>().ReadAsync(async c =>
            {
                var conns = await c.QuerySingleAsync<(long Total, long Active)>("""
                    SELECT count(*), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity WHERE datname = current_database()
                    """);
                var q = await ElectisSpace.Core.Sync.OutboxCounts.ReadAsync(c, ctx.User.OrgId);
                return (new ConnectionCounts(conns.Total, conns.Active), new SyncQueueCounts(q.Pending, q.Processing, q.Failed, q.Dead));
            }, ctx.Aborted)
            : ((ConnectionCounts?)null, new SyncQueueCounts(0, 0, 0, 0));
        var process = Process.GetCurrentProcess();
        var aims = ctx.Service<IAimsAliveProbe>().Last;
        return ApiResults.Ok(new DetailedHealthResponse(
            database.Status == "ok" ? "ok" : "degraded",
            (long)(DateTimeOffset.UtcNow - StartedAt).TotalSeconds,
            Version,
            new MemoryUsage(process.WorkingSet64 / (1024 * 1024), GC.GetTotalMemory(false) / (1024 * 1024), "MB"),
            new DatabaseHealth(database.Status, database.LatencyMs, database.Error, connections),
            aims is null ? null : new AimsHealth(aims.Status, aims.CheckedAt, aims.LatencyMs, aims.Error),
            queue,
            database.Status == "ok" ? await ctx.Service<ElectisSpace.Core.Sync.Alive.AimsAliveStore>().GetAsync(ctx.User.OrgId, ctx.Aborted) : null));
    });

    private static async Task<CheckResult> CheckDatabaseAsync(RequestContext ctx)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ctx.Aborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await using var conn = await ctx.Service<Db>().DataSource.OpenConnectionAsync(timeout.Token);
            await using var cmd = new NpgsqlCommand("SELECT 1", conn);
            await cmd.ExecuteScalarAsync(timeout.Token);
            return new CheckResult("ok", Math.Round(sw.Elapsed.TotalMilliseconds, 1));
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return new CheckResult("error", null, "The database is unreachable.");
        }
    }

    private static async Task<CheckResult> CheckAimsAsync(RequestContext ctx)
    {
        var r = await ctx.Service<IAimsAliveProbe>().CheckAsync(ctx.Aborted);
        return new CheckResult(r.Status, r.LatencyMs, r.Error);
    }
}
