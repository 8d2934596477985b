using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// The floor of a write (issue 37): the SQL of one API write transaction — the statements the host sends for it, with
/// values of the same size — run by pgbench (PostgreSQL's own C load generator, prepared statements, as Npgsql prepares
/// them) against the bench's database at the same client count, with CPU per transaction measured the way
/// <see cref="CpuMeter"/> measures a request. What PostgreSQL spends there is the physical limit of that SQL on this machine;
/// the host's CPU per request in the HTTP run is the share on top.
/// <para>
/// The statements below mirror the API's (PeopleRepository.InsertAsync, PeopleAssignments.AssignAsync, the conference
/// toggle, PendingSignIn.CommitCheck, AuditRows with its events row, OutboxRows); a change to those should be made here too. Where pgbench
/// cannot carry a value from one statement to the next without a round trip the API does not make (the new person's id
/// in its audit and outbox rows), a new uuid stands in: the same work for PostgreSQL. Each script first picks its target
/// (the person and desk of a move, the room) with one indexed read, which the API does not need; that read's cost is
/// part of the floor, so the floor is a little high, never low.
/// </para>
/// </summary>
public static class PgbenchFloor
{
    public sealed record Result(string Workload, int Clients, int Transactions, double Seconds, double TransactionsPerSecond,
        double LatencyAverageMs, CpuMeter.PerRequest? Cpu, string? Error)
    {
        /// <summary>pgbench's sessions: the host's pool size, or fewer clients (Clients is the bench run it stands beside).</summary>
        public int Sessions { get; init; } = Clients;

        /// <summary>PostgreSQL's CPU per transaction: its connections' backends and its background (WAL writer, checkpointer).</summary>
        public double PostgresMs => Cpu is { } c ? Math.Round(c.PostgresMs + c.PostgresBackgroundMs, 3) : double.NaN;
    }

    private const string PersonColumns = """
        SELECT p.id, p.external_id, p.data::text AS data, p.assigned_space_id, p.virtual_space_id, p.sync_status, p.last_synced_at,
               p.sync_error, p.version, p.created_at, p.updated_at, s.external_id AS space_external_id, s.label_code AS space_label_code
        """;

    private const string RoomColumns = """
        id, external_id, room_name, label_code, has_meeting, meeting_name, start_time, end_time, participants, current_page,
               sync_status, last_synced_at, sync_error, version, created_at, updated_at
        """;

    // PendingSignIn.CommitCheck over RequestAuthenticator.CheckSql: the request's sign-in check, first in the commit batch.
    private const string SignInCheck = """
        SELECT refuse_sign_in() FROM (SELECT 1) AS one LEFT JOIN (
            SELECT u.role AS Role, u.is_active AS IsActive, u.email AS Email,
                   EXISTS (SELECT 1 FROM refresh_tokens t
                           WHERE t.family_id = :session AND t.org_id = u.org_id AND t.user_id = u.id AND t.revoked_at IS NULL) AS SessionActive,
                   (SELECT coalesce(sum(v.v), 0)::bigint FROM list_versions v WHERE v.org_id = u.org_id) AS ListVersion
            FROM users u WHERE u.id = :user AND u.org_id = :org) AS c ON true
        WHERE NOT coalesce(c.IsActive AND c.SessionActive AND c.Role = ANY(ARRAY['admin','manager']), false);
        """;

    // AuditRows.ToCommand: the audit row and its events row (ChangeEvents.ForAudit) in one statement. The event type is
    // spelled with chr(58) for its ':', which pgbench would read as the start of one of its variables.
    private static string Audit(string action, string entityType, string done, string entityId, string oldJson, string newJson) => $"""
        WITH a AS (
            SELECT u.*, u.new_data::jsonb AS new_json, u.old_data::jsonb AS old_json
            FROM unnest(ARRAY[:org]::uuid[], ARRAY[:user]::uuid[], ARRAY['{action}']::text[], ARRAY['{entityType}']::text[], ARRAY[{entityId}]::text[],
                        ARRAY[{oldJson}]::text[], ARRAY[{newJson}]::text[], ARRAY['127.0.0.1']::text[], ARRAY[NULL]::text[],
                        ARRAY['{entityType}' || chr(58) || '{done}']::text[], ARRAY[true]::boolean[]) WITH ORDINALITY
                 AS u(org_id, user_id, action, entity_type, entity_id, old_data, new_data, ip, agent, event, event_data, n)),
        audit AS (
            INSERT INTO audit_logs (org_id, user_id, action, entity_type, entity_id, old_data, new_data, ip_address, user_agent)
            SELECT a.org_id, a.user_id, a.action, a.entity_type, a.entity_id, a.old_json, a.new_json, a.ip, a.agent FROM a)
        INSERT INTO events (org_id, type, data)
        SELECT a.org_id, a.event, jsonb_strip_nulls(jsonb_build_object(
                   'id', a.entity_id,
                   'version', coalesce(a.new_json, a.old_json) -> 'version',
                   'syncStatus', a.new_json -> 'syncStatus',
                   'data', CASE WHEN a.event_data THEN a.new_json END))
        FROM a WHERE a.event IS NOT NULL ORDER BY a.n;
        """;

    private static string Outbox(string types, string ids, string actions, string payloads, string maxAttempts) => $"""
        INSERT INTO sync_queue (org_id, entity_type, entity_id, action, payload, max_attempts)
        SELECT j.org_id, j.entity_type, j.entity_id, j.action, j.payload::jsonb, j.max_attempts
        FROM unnest(ARRAY[{ids.Split(',').Length switch { 1 => ":org", _ => ":org, :org" }}]::uuid[], ARRAY[{types}]::text[], ARRAY[{ids}]::uuid[],
                    ARRAY[{actions}]::text[], ARRAY[{payloads}]::text[], ARRAY[{maxAttempts}]::integer[]) WITH ORDINALITY
             AS j(org_id, entity_type, entity_id, action, payload, max_attempts, n)
        ORDER BY j.n;
        """;

    // A person and a room as the API's audit rows carry them (PersonDto, ConferenceRoomDto): the JSON's size is the work.
    // No ':' before a name or digit: pgbench would read ":null" or ":00" as one of its variables.
    private const string PersonJson = """'{"id": "00000000-0000-0000-0000-000000000000","externalId": null,"data": {"name": "Bench 1-1","department": "Load"},"assignedSpace": {"id": "00000000-0000-0000-0000-000000000000","externalId": "D000001","labelCode": null},"virtualSpaceId": null,"syncStatus": "pending","lastSyncedAt": null,"syncError": null,"version": 2,"createdAt": "2026-01-01T00.00.00+00.00","updatedAt": "2026-01-01T00.00.00+00.00"}'""";
    private const string RoomJson = """'{"id": "00000000-0000-0000-0000-000000000000","externalId": "R1","roomName": "Room 1","labelCode": null,"hasMeeting": false,"meetingName": null,"startTime": null,"endTime": null,"participants": [],"currentPage": 1,"syncStatus": "pending","lastSyncedAt": null,"syncError": null,"version": 2,"createdAt": "2026-01-01T00.00.00+00.00","updatedAt": "2026-01-01T00.00.00+00.00"}'""";

    /// <summary>The bench workload each script stands for, and the script.</summary>
    public static readonly (string Workload, string Script)[] Scripts =
    [
        ("create a person", $"""
            BEGIN;
            WITH p AS (
                INSERT INTO people (org_id, external_id, data, virtual_space_id)
                VALUES (:org, NULL, '{"{"}"name": "Bench 1-1", "department": "Load"{"}"}'::jsonb, next_pool_id()) RETURNING *)
            {PersonColumns}
            FROM p LEFT JOIN spaces s ON s.id = p.assigned_space_id;
            {SignInCheck}
            {Audit("create", "person", "created", "gen_random_uuid()::text", "NULL", PersonJson)}
            {Outbox("'person'", "gen_random_uuid()", "'upsert_article'", "'{}'", "10")}
            COMMIT;
            """),
        // Person k (one of the client's own, so two clients never move one person) goes to whichever of its two desks it
        // is not at (AssignMoves' pairs, in floor_moves): a real move every time, as in the bench's assign workload.
        ("assign", $"""
            \set k 1 + :client_id + :clients * random(0, :moves / :clients - 1)
            SELECT m.person, CASE WHEN p.assigned_space_id = m.desk_a THEN m.desk_b ELSE m.desk_a END AS space,
                   coalesce(p.assigned_space_id, m.desk_b) AS old
            FROM floor_moves m JOIN people p ON p.id = m.person WHERE m.k = :k \gset
            BEGIN;
            SELECT id FROM spaces WHERE org_id = :org AND id = :space FOR UPDATE;
            {PersonColumns}
            FROM people p LEFT JOIN spaces s ON s.id = p.assigned_space_id WHERE p.org_id = :org AND p.id = :person FOR UPDATE OF p;
            {PersonColumns}
            FROM people p LEFT JOIN spaces s ON s.id = p.assigned_space_id WHERE p.org_id = :org AND p.assigned_space_id = :space;
            WITH p AS (
                UPDATE people SET assigned_space_id = :space, virtual_space_id = NULL, sync_status = 'pending', sync_error = NULL,
                       version = version + 1, updated_at = now()
                WHERE org_id = :org AND id = :person RETURNING *)
            {PersonColumns}
            FROM p LEFT JOIN spaces s ON s.id = p.assigned_space_id;
            {SignInCheck}
            {Audit("assign", "person", "assigned", ":person", PersonJson, PersonJson)}
            {Outbox("'space', 'space'", ":old, :space", "'upsert_article', 'upsert_article'", "'{}', '{}'", "5, 5")}
            COMMIT;
            """),
        ("conference toggle", $"""
            \set k random(1, :rooms)
            SELECT room FROM floor_rooms WHERE k = :k \gset
            BEGIN;
            SELECT {RoomColumns}
            FROM conference_rooms WHERE org_id = :org AND id = :room FOR UPDATE;
            UPDATE conference_rooms SET has_meeting = NOT has_meeting,
                   meeting_name = CASE WHEN has_meeting THEN NULL ELSE NULL END,
                   start_time = CASE WHEN has_meeting THEN NULL ELSE NULL END,
                   end_time = CASE WHEN has_meeting THEN NULL ELSE NULL END,
                   participants = CASE WHEN has_meeting THEN ARRAY[]::text[] ELSE ARRAY[]::text[] END,
                   current_page = CASE WHEN has_meeting THEN 1 ELSE 2 END,
                   sync_status = 'pending', sync_error = NULL, version = version + 1, updated_at = now()
            WHERE org_id = :org AND id = :room
            RETURNING {RoomColumns};
            {SignInCheck}
            {Audit("toggle", "conference", "toggled", ":room", RoomJson, RoomJson)}
            {Outbox("'conference'", ":room", "'upsert_article'", "'{}'", "10")}
            COMMIT;
            """),
    ];

    /// <summary>The script with its transaction sent as one pipeline: every statement from BEGIN to COMMIT in one round trip.</summary>
    public static string OneRoundTrip(string script) =>
        script.Replace("BEGIN;\n", "\\startpipeline\nBEGIN;\n").Replace("COMMIT;", "COMMIT;\n\\endpipeline");

    /// <summary>Writes floor_moves (AssignMoves' person/desk pairs) and floor_rooms for the scripts to pick from; dropped by <see cref="DropTablesAsync"/>.</summary>
    public static async Task CreateTablesAsync(string conn, Guid[] movers, Guid[] deskA, Guid[] deskB, Guid[] rooms)
    {
        await using var c = new NpgsqlConnection(conn);
        await c.ExecuteAsync("""
            CREATE TABLE floor_moves (k int PRIMARY KEY, person uuid NOT NULL, desk_a uuid NOT NULL, desk_b uuid NOT NULL);
            INSERT INTO floor_moves SELECT n, p, a, b FROM unnest(@movers, @deskA, @deskB) WITH ORDINALITY AS m(p, a, b, n);
            CREATE TABLE floor_rooms (k int PRIMARY KEY, room uuid NOT NULL);
            INSERT INTO floor_rooms SELECT n, r FROM unnest(@rooms) WITH ORDINALITY AS m(r, n);
            ANALYZE floor_moves; ANALYZE floor_rooms;
            """, new { movers, deskA, deskB, rooms });
    }

    public static async Task DropTablesAsync(string conn)
    {
        await using var c = new NpgsqlConnection(conn);
        await c.ExecuteAsync("DROP TABLE IF EXISTS floor_moves; DROP TABLE IF EXISTS floor_rooms");
    }

    private const int WarmSeconds = 3;

    /// <summary>
    /// Runs one script with pgbench and measures its CPU over the given seconds once it is warm: its clients' backends
    /// started (a new backend's first transactions cost tens of ms of CPU: catalog caches, prepares), as the host's pooled
    /// connections are. pgbench's progress report (one line a second) gives the transactions within the measured window.
    /// </summary>
    public static async Task<Result> RunAsync(string pgbench, string conn, CpuMeter meter, string workload, string script, int clients, int seconds,
        IReadOnlyDictionary<string, string> variables)
    {
        var file = Path.Combine(Path.GetTempPath(), $"electis-floor-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var b = new NpgsqlConnectionStringBuilder(conn);
            string[] args =
            [
                "-n", "-M", "prepared", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, 2).ToString(CultureInfo.InvariantCulture),
                "-T", (WarmSeconds + seconds + 1).ToString(CultureInfo.InvariantCulture), "-P", "1", "-f", file, "-h", b.Host!,
                "-p", b.Port.ToString(CultureInfo.InvariantCulture), "-U", b.Username!, .. variables.SelectMany(v => new[] { "-D", $"{v.Key}={v.Value}" }), b.Database!,
            ];
            var psi = new ProcessStartInfo(pgbench, args) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start pgbench");
            var stdout = p.StandardOutput.ReadToEndAsync();
            Func<int, CpuMeter.PerRequest?>? measure = null;
            CpuMeter.PerRequest? cpu = null;
            double transactions = 0, latencyWeighted = 0;
            string? error = null;
            // "progress: 4.0 s, 512.3 tps, lat 190.115 ms stddev 20.1, 0 failed"
            var progress = new Regex(@"^progress: ([\d.]+) s, ([\d.]+) tps, lat ([\d.]+) ms");
            while (await p.StandardError.ReadLineAsync() is { } line)
            {
                var m = progress.Match(line);
                if (!m.Success)
                {
                    if (line.Contains("error", StringComparison.OrdinalIgnoreCase) || line.Contains("abort", StringComparison.OrdinalIgnoreCase)) error ??= line;
                    continue;
                }
                var at = (int)Math.Round(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
                var tps = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                if (at == WarmSeconds) measure = meter.Start();
                else if (measure is not null && cpu is null && at <= WarmSeconds + seconds)
                {
                    transactions += tps;
                    latencyWeighted += tps * double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
                    if (at == WarmSeconds + seconds) cpu = measure((int)transactions);
                }
            }
            await p.WaitForExitAsync();
            await stdout;
            if (p.ExitCode != 0) error = $"pgbench exited {p.ExitCode}: {error}";
            if (cpu is null) error ??= "pgbench's progress report did not cover the measured window";
            var n = (int)Math.Round(transactions);
            return new Result(workload, clients, n, seconds, Math.Round(transactions / seconds, 1),
                transactions > 0 ? Math.Round(latencyWeighted / transactions, 1) : double.NaN, n > 0 ? cpu : null, error);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
