using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Settings;
using Microsoft.Extensions.Logging;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Core.Sync.Alive;

/// <summary>An organization's AIMS as the alive timer last saw it.</summary>
public sealed record AimsAliveState(string State, DateTimeOffset LastPing, double? LatencyMs, string? Error, int ConsecutiveFailures,
    DateTimeOffset ChangedAt);

/// <summary>
/// The alive state of each organization's AIMS (aims_status), kept by the alive timer. The push path learns of it
/// through <see cref="AimsAliveMonitor"/>, which reports each down/up to <see cref="IAimsAvailability"/>.
/// </summary>
public sealed class AimsAliveStore(Db db)
{
    /// <summary>Design rule: 3 consecutive failed checks → disconnected; one good check → connected again.</summary>
    public const int FailuresBeforeDown = 3;

    public async Task<bool> IsDownAsync(Guid orgId, CancellationToken ct = default) =>
        await db.ReadAsync(c => c.ExecuteScalarAsync<string?>("SELECT state FROM aims_status WHERE org_id = @orgId", new { orgId }), ct) == "down";

    public Task<AimsAliveState?> GetAsync(Guid orgId, CancellationToken ct = default) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<Row>("""
            SELECT state, last_ping_at, latency_ms, last_error, consecutive_failures, changed_at FROM aims_status WHERE org_id = @orgId
            """, new { orgId }), ct).ContinueWith(t => t.Result?.ToState(), ct);

    /// <summary>Organizations whose AIMS is down / all with a state (readiness summary).</summary>
    public Task<(long Down, long Total)> CountsAsync(CancellationToken ct = default) =>
        db.ReadAsync(c => c.QuerySingleAsync<(long, long)>("SELECT count(*) FILTER (WHERE state = 'down'), count(*) FROM aims_status"), ct);

    /// <summary>
    /// Records one ping. The row is updated in place; the state flips to down after <see cref="FailuresBeforeDown"/> failures
    /// in a row and back to up on the first success, and only a flip writes an audit row (aims_down / aims_up).
    /// </summary>
    public Task<AimsAliveState> RecordAsync(Guid orgId, AimsAliveResult ping, CancellationToken ct = default) =>
        db.InTransactionAsync(async (c, tx) =>
        {
            var old = await c.QuerySingleOrDefaultAsync<Row>("""
                SELECT state, last_ping_at, latency_ms, last_error, consecutive_failures, changed_at FROM aims_status WHERE org_id = @orgId FOR UPDATE
                """, new { orgId }, tx);
            var failures = ping.Up ? 0 : (old?.ConsecutiveFailures ?? 0) + 1;
            var state = ping.Up ? "up" : failures >= FailuresBeforeDown ? "down" : old?.State ?? "up";
            var row = await c.QuerySingleAsync<Row>("""
                INSERT INTO aims_status (org_id, state, last_ping_at, latency_ms, last_error, consecutive_failures, changed_at)
                VALUES (@orgId, @state, now(), @latency, @error, @failures, now())
                ON CONFLICT (org_id) DO UPDATE SET state = excluded.state, last_ping_at = excluded.last_ping_at, latency_ms = excluded.latency_ms,
                    last_error = excluded.last_error, consecutive_failures = excluded.consecutive_failures,
                    changed_at = CASE WHEN aims_status.state = excluded.state THEN aims_status.changed_at ELSE now() END
                RETURNING state, last_ping_at, latency_ms, last_error, consecutive_failures, changed_at
                """, new { orgId, state, latency = ping.LatencyMs, error = ping.Error, failures }, tx);
            if (old is not null ? old.State != state : state == "down")
                await AuditLog.WriteAsync(c, tx, new AuditContext(orgId, null, null, null), state == "down" ? "aims_down" : "aims_up", "aims", null,
                    old is null ? null : new { state = old.State }, new { state, error = ping.Error, failures });
            return row.ToState();
        }, ct);

    private sealed class Row
    {
        public string State { get; set; } = ""; public DateTime LastPingAt { get; set; } public double? LatencyMs { get; set; }
        public string? LastError { get; set; } public int ConsecutiveFailures { get; set; } public DateTime ChangedAt { get; set; }
        public AimsAliveState ToState() => new(State, Utc(LastPingAt), LatencyMs, LastError, ConsecutiveFailures, Utc(ChangedAt));
        private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
    }
}

/// <summary>The alive timer's tick: pings the AIMS of every organization with AIMS settings (credential-free HEAD) and records it.
/// The state it records also steers the push path (<see cref="IAimsAvailability"/>): down pauses pushes to that AIMS
/// without spending attempts; up lets them go at once.</summary>
public sealed class AimsAliveMonitor(Db db, AimsClient aims, AimsConnections connections, AimsAliveStore availability,
    IAimsAvailability push, PushSignal pushSignal, ILogger<AimsAliveMonitor> log)
{
    public async Task<int> PingAllAsync(CancellationToken ct = default)
    {
        var orgs = await db.ReadAsync(c => c.QueryAsync<(Guid Id, string Settings)>("SELECT id, settings::text FROM organizations WHERE settings ? 'aims'"), ct);
        var pinged = 0;
        foreach (var (id, json) in orgs)
        {
            if (await PingAsync(id, SettingsStore.Parse(json), ct) is not null) pinged++;
        }
        return pinged;
    }

    /// <summary>One organization's ping (null when it has no AIMS settings).</summary>
    public async Task<AimsAliveState?> PingAsync(Guid orgId, OrganizationSettings? settings = null, CancellationToken ct = default)
    {
        settings ??= (await db.ReadAsync(c => SettingsStore.LoadAsync(c, orgId), ct)).Settings;
        if (connections.From(settings.Aims, orgId) is not { } conn) return null;
        var result = await aims.CheckAliveAsync(conn.Root, ct);
        var state = await availability.RecordAsync(orgId, result, ct);
        // Down holds pushes until a ping sees AIMS up again (the 10-minute bound only covers a timer that stopped).
        if (state.State == "down") push.ReportDown(conn, TimeSpan.FromMinutes(10));
        else if (result.Up && push.IsDown(conn)) { push.ReportUp(conn); pushSignal.Wake(); }
        if (!result.Up) log.LogWarning("AIMS of organization {OrgId} did not answer ({Failures} in a row): {Error}", orgId, state.ConsecutiveFailures, result.Error);
        return state;
    }
}
