using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Organizations;
using ElectisSpace.Core.People;
using ElectisSpace.Core.Spaces;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// The `bench` command (issue 18): the Standalone host in Release as its own process (so its memory is its own), over a
/// throwaway PostgreSQL (the tests' fixture) and the AIMS emulator; seeds one organization (10,000 people, 10,000 spaces,
/// 200 rooms by default); drives HTTP load with a fixed request budget per run at 1, 16 and 100 clients; prints req/s,
/// latency percentiles, errors and host memory as a table, the plans of the list queries, and writes a JSON file.
/// </summary>
public static class LoadBench
{
    private const string Password = "Bench-Passw0rd";

    private sealed record Options(int People, int Spaces, int Rooms, int Requests, int SingleClientRequests, int? PoolSize, string Out, int[] Clients,
        string? Only, bool Hold, int Seconds, bool NoWrk, Uri? PeerUrl, string? PeerToken, bool UnsafeFast, string[] PgSet);

    public sealed record RunResult(string Workload, int Clients, int Requests, double Seconds, double RequestsPerSecond,
        double P50Ms, double P95Ms, double P99Ms, double MaxMs, int Errors, string? FirstError, double HostRssMaxMb)
    {
        public string Generator { get; init; } = ".NET HttpClient";

        /// <summary>Where the run's CPU went, per request (null for the peer, whose processes are not measured).</summary>
        public CpuMeter.PerRequest? Cpu { get; init; }
    }

    public const string NewSearchTerm = "people search, a new term each request";

    /// <summary>The k-th of 40,000 search terms: a person's name, email or a tail of the name, each matching one to a few people.</summary>
    private static string SearchTerm(int k) => (k / 10_000) switch
    {
        0 => $"Person {k % 10_000 + 1}",
        1 => $"person{k % 10_000 + 1}@",
        2 => $"erson {k % 10_000 + 1}",
        _ => $"rson {k % 10_000 + 1}",
    };

    /// <summary>A workload: Send for the .NET driver; Wrk, when given and wrk is installed, for wrk (the lighter generator).</summary>
    private sealed record Workload(string Name, Func<HttpClient, int, Task<HttpResponseMessage>> Send, int[]? Clients = null, int? Budget = null,
        bool Warm = true, WrkSpec? Wrk = null)
    {
        /// <summary>Runs before each measured run, for requests that depend on the data's state (which the runs before changed).</summary>
        public Func<Task>? Prepare { get; init; }

        /// <summary>wrk's script made after Prepare, for such a workload (else Wrk).</summary>
        public Func<WrkSpec>? WrkAfterPrepare { get; init; }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var o = Parse(args);
        Console.WriteLine($"bench: {o.People:N0} people, {o.Spaces:N0} spaces, {o.Rooms} rooms; {o.Requests:N0} requests per run ({o.SingleClientRequests:N0} at 1 client)");
        var machine = Machine();
        Console.WriteLine($"machine: {machine}");

        // Durable, as users run it (issue 37): every commit waits for its WAL to reach the disk. --unsafe-fast is the tests'
        // configuration, for quick local loops only, and says so on every figure.
        await using var pg = o.UnsafeFast ? await PostgresServer.StartDedicatedAsync() : await PostgresServer.StartDurableAsync();
        var durability = pg.Durable ? "durable (fsync, synchronous_commit, full_page_writes on: PostgreSQL's defaults)"
            : "UNSAFE FAST (fsync, synchronous_commit, full_page_writes off): NOT what users run, figures not for docs";
        Console.WriteLine($"PostgreSQL: {durability}");
        var conn = await pg.CreateDatabaseAsync();
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(conn) { Database = "postgres" }.ConnectionString))
            foreach (var setting in o.PgSet)
            {
                // Server settings to try (group commit, ...): set as an operator would, for every connection from now on.
                var (name, value) = (setting.Split('=', 2)[0], setting.Split('=', 2)[1]);
                if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z_]+$")) throw new ArgumentException($"--pg-set {setting}: not a setting name");
                await admin.ExecuteAsync($"ALTER SYSTEM SET {name} = '{value.Replace("'", "''")}'");
                await admin.ExecuteAsync("SELECT pg_reload_conf()");
                Console.WriteLine($"PostgreSQL: {name} = {await admin.ExecuteScalarAsync<string>($"SHOW {name}")}");
            }
        await using var aims = await AimsEmulatorHost.StartAsync();
        using var host = await HostProcess.StartAsync(conn, aims.BaseUrl, o.PoolSize);
        Console.WriteLine($"host: pid {host.Pid} at {host.Address} (Release, Database:MaxPoolSize {o.PoolSize?.ToString() ?? "default"})");

        var seed = await SeedAsync(host, conn, aims, o);
        Console.WriteLine($"seeded in {seed.Seconds:F1} s");
        var drained = await DrainPushQueueAsync(conn, seed.OrgId);
        Console.WriteLine($"push queue drained to the AIMS emulator in {drained:F1} s (measuring starts with no background sync work)");
        // What autovacuum does within a minute or two of the seeding in a running system (the push rewrote every seeded
        // row), done now so a run does not depend on whether it has happened yet: visibility map (index-only scans) and
        // statistics as of the seeded data.
        await using (var vacuum = new NpgsqlConnection(conn))
        {
            await vacuum.ExecuteAsync("VACUUM (ANALYZE)", commandTimeout: 600);
            // VACUUM marks a page all-visible only if no transaction still open could miss its rows; one that overlapped
            // it (a timer's, the last push's neighbours) left most people pages unmarked in some runs (deep-page plans
            // showed 2,000-4,500 heap fetches, others none), and autovacuum then finished the job during some later
            // workload. Vacuum again until the visibility map covers the table, as autovacuum would reach in a minute.
            for (var round = 1; round <= 5; round++)
            {
                var (pages, visible) = await vacuum.QuerySingleAsync<(int, int)>(
                    "SELECT relpages, relallvisible FROM pg_class WHERE oid = 'people'::regclass");
                Console.WriteLine($"people: {visible:N0} of {pages:N0} pages all-visible after VACUUM {round}");
                if (visible >= pages) break;
                await Task.Delay(TimeSpan.FromSeconds(2));
                await vacuum.ExecuteAsync("VACUUM people", commandTimeout: 600);
            }
        }
        var plans = await PlansAsync(conn, seed.OrgId);
        foreach (var (what, plan) in plans) Console.WriteLine($"\n-- plan: {what}\n{plan}");
        if (o.Hold)
        {
            // For an outside load generator or profiler: the seeded host stays up until Enter (or end of input).
            Console.WriteLine($"\nholding: host {host.Address} pid {host.Pid}\nBENCH_DB={conn}\nBENCH_ORG={seed.OrgId}\nBENCH_TOKEN={seed.Token}\nBENCH_SPACE={seed.SpaceIds[0]}\nBENCH_ROOM={seed.RoomIds[0]}\npress Enter to stop");
            Console.ReadLine();
            return 0;
        }

        var results = new List<RunResult>();
        var ranWrites = new List<(string Workload, int Clients)>();
        var rng = new Random(18);
        var moves = new AssignMoves(seed.OrgId, seed.PersonIds, seed.SpaceIds);
        var cursorPage50 = await CursorForPageAsync(seed.Client, 50, 100);
        var cursorPath = $"/api/people?limit=100&cursor={Uri.EscapeDataString(cursorPage50)}";
        Workload Get(string name, string path) => new(name, (c, _) => c.GetAsync(path), Wrk: new WrkSpec(path));
        // The same request made new each time by a parameter the API ignores (nocache=…): the list cache never has the
        // answer, so this is what building one costs (a client's first look at a list, or every look while it changes).
        // The value never repeats, not even across runs: an answer built twice is kept (ListCache), and the warm-up and
        // each client count used to repeat the same values, so those runs were partly served from the cache.
        Workload Uncached(string name, string path) => new(name + ", never cached", (c, _) => c.GetAsync($"{path}&nocache={Guid.NewGuid():N}"),
            Wrk: new WrkSpec("/", $$"""
                local n = 0
                request = function()
                  n = n + 1
                  return wrk.format("GET", {{WrkSpec.Lua(path)}} .. "&nocache=" .. run .. "-" .. tid .. "-" .. n)
                end
                """));
        Workload[] workloads =
        [
            Get("health", "/api/health"),
            Get("people page of 50", "/api/people?limit=50"),
            Uncached("people page of 50", "/api/people?limit=50"),
            Get("people search=Person 1", "/api/people?limit=50&search=Person%201"),
            Uncached("people search=Person 1", "/api/people?limit=50&search=Person%201"),
            // Neither the answer nor the search's total kept (a total is kept per filters, so "never cached" above counts
            // once): a new term every request, from 40,000 that each select one to a few people, walked from a random start.
            new(NewSearchTerm, (c, _) => c.GetAsync($"/api/people?limit=50&search={Uri.EscapeDataString(SearchTerm(Random.Shared.Next(40_000)))}"),
                Wrk: new WrkSpec("/", """
                    local k = nil
                    local forms = { "Person%20", "person", "erson%20", "rson%20" }
                    local tails = { "", "%40", "", "" }
                    request = function()
                      if k == nil then -- tid is set after the script loads: seed on the first request
                        math.randomseed(os.time() * 10 + tid)
                        k = math.random(0, 19999) * 2 + tid
                      end
                      k = (k + 2) % 40000
                      local f = math.floor(k / 10000) + 1
                      return wrk.format("GET", "/api/people?limit=50&search=" .. forms[f] .. (k % 10000 + 1) .. tails[f])
                    end
                    """)),
            Get("spaces search=Desk 1", "/api/spaces?limit=50&search=Desk%201"),
            Get("rooms search=Room 1", "/api/conference?limit=50&search=Room%201"),
            Get("users search=bench", "/api/users?limit=50&search=bench"),
            Uncached("people page 1 of 100", "/api/people?limit=100"),
            Uncached("people page 37 of 100", "/api/people?limit=100&page=37"),
            Uncached("people page 50 of 100", "/api/people?limit=100&page=50"),
            Uncached("people page 50 of 100 by cursor", cursorPath),
            new("one space", (c, _) => c.GetAsync($"/api/spaces/{seed.SpaceIds[rng.Next(seed.SpaceIds.Length)]}"),
                Wrk: WrkSpec.RandomGet(seed.SpaceIds.Take(500).Select(id => $"/api/spaces/{id}"))),
            // Before the writes, which add people: the export is of the seeded ones. DriveAsync drains every body, so the
            // export's time is the whole transfer.
            new("fetch all people (export)", (c, _) => c.GetAsync("/api/people/export"), [1], Budget: 10),
            new("create a person", (c, i) => c.PostAsJsonAsync("/api/people", new { data = new { name = $"Bench {i}", department = "Load" } }),
                Wrk: new WrkSpec("/api/people", """
                    local n = 0
                    request = function()
                      n = n + 1
                      return wrk.format("POST", nil, nil, '{"data":{"name":"Bench ' .. tid .. '-' .. n .. '","department":"Load"}}')
                    end
                    """)),
            new(IdempotencyCost.Workload, (c, i) => IdempotencyCost.CreatePersonAsync(c, i), Wrk: IdempotencyCost.Wrk),
            // Every request moves a person to another desk (AssignMoves): re-seating one where it sits would be a no-op.
            new("assign", (c, _) =>
            {
                var (person, space) = moves.Next();
                return c.PostAsJsonAsync($"/api/people/{person}/assign", new { spaceId = space });
            }, Warm: false) { Prepare = () => moves.ReadPositionsAsync(conn), WrkAfterPrepare = moves.Wrk },
            new("conference toggle", (c, _) => c.PostAsync($"/api/conference/{seed.RoomIds[rng.Next(seed.RoomIds.Length)]}/toggle", null),
                Wrk: WrkSpec.RandomPost(seed.RoomIds.Select(id => $"/api/conference/{id}/toggle"))),
            new("login, one user", (c, _) => c.PostAsJsonAsync("/api/auth/login", new { email = seed.AdminEmail, password = Password, organization = seed.Code }),
                [1, 16], Budget: 96),
            new("login, 16 users", (c, i) => c.PostAsJsonAsync("/api/auth/login", new { email = seed.UserEmails[i % seed.UserEmails.Length], password = Password, organization = seed.Code }),
                [16], Budget: 96),
        ];
        var useWrk = WrkDriver.Available && !o.NoWrk;
        var cpu = new CpuMeter(host.Pid, pg.DataDirectory);
        // Memory while exporting, measured while the organization holds exactly the seeded people (the writes add some).
        var exportGrowth = await ExportMemoryAsync(host, seed.Token);
        Console.WriteLine(useWrk ? $"load generator: wrk, {o.Seconds} s per run after a 2 s warm-up (login and export: .NET HttpClient, fixed budgets)"
                                 : "load generator: .NET HttpClient with a fixed request budget per run (install wrk for the lighter generator)");
        foreach (var w in workloads.Where(w => o.Only is null || o.Only.Split(',').Any(only => w.Name.Contains(only, StringComparison.OrdinalIgnoreCase))))
            foreach (var clients in w.Clients ?? o.Clients)
            {
                if (w.Name is "create a person" or "assign" or "conference toggle") ranWrites.Add((w.Name, clients));
            {
                // The writes before leave their pushes to AIMS behind (thousands of jobs after 100 writers): each run
                // starts once they are done, so it measures its own work (a write run still includes its own pushes).
                var backlog = await DrainPushQueueAsync(conn, seed.OrgId);
                if (backlog >= 1) Console.WriteLine($"  (waited {backlog:F1} s for the previous run's pushes to reach AIMS)");
                RunResult r;
                if (w.Prepare is { } prepare) await prepare();
                if (useWrk && (w.WrkAfterPrepare?.Invoke() ?? w.Wrk) is { } spec)
                {
                    if (w.Warm) await WrkDriver.RunAsync(host, seed.Token, w.Name, spec, clients, TimeSpan.FromSeconds(2)); // warm-up, not recorded
                    var measure = cpu.Start();
                    r = await WrkDriver.RunAsync(host, seed.Token, w.Name, spec, clients, TimeSpan.FromSeconds(o.Seconds));
                    r = r with { Cpu = measure(r.Requests) };
                }
                else
                {
                    var budget = w.Budget ?? (clients == 1 ? o.SingleClientRequests : o.Requests);
                    if (w.Warm) await DriveAsync(host, seed.Token, w, clients, Math.Max(clients, budget / 10)); // warm-up, not recorded
                    var measure = cpu.Start();
                    r = await DriveAsync(host, seed.Token, w, clients, budget);
                    r = r with { Cpu = measure(r.Requests) };
                }
                results.Add(r);
                Console.WriteLine($"{r.Workload,-34} {r.Clients,4} clients {r.Requests,6} req {r.RequestsPerSecond,9:N0} req/s  p50 {r.P50Ms,7:N1}  p95 {r.P95Ms,7:N1}  p99 {r.P99Ms,7:N1} ms  errors {r.Errors}  host RSS {r.HostRssMaxMb:N0} MB  CPU {r.Cpu?.TotalMs:N2} ms/req, {r.Cpu?.MachineBusyPercent:N0}% busy{(r.FirstError is null ? "" : "  first error: " + r.FirstError)}");
            }
            }

        if (o.PeerUrl is { } peerUrl && useWrk)
        {
            // The server issues 18 and 37 compare with (the Node electisSpace server, NodePeer/node-peer.sh, docs/performance.md), in this same
            // run, on the same machine, with its own token: its people page of 50, and the same three writes.
            var peerBase = new Uri(peerUrl.GetLeftPart(UriPartial.Authority));
            foreach (var (name, spec) in NodePeer.Workloads(peerUrl).Where(p => o.Only is null || p.Name == Targets.PeerWorkload
                         || o.Only.Split(',').Any(only => p.Name.Contains(only, StringComparison.OrdinalIgnoreCase))))
                foreach (var clients in o.Clients)
                {
                    await WrkDriver.RunAsync(peerBase, null, o.PeerToken ?? "", name, spec(), clients, TimeSpan.FromSeconds(2));
                    var r = await WrkDriver.RunAsync(peerBase, null, o.PeerToken ?? "", name, spec(), clients, TimeSpan.FromSeconds(o.Seconds));
                    results.Add(r);
                    Console.WriteLine($"{r.Workload,-34} {r.Clients,4} clients {r.Requests,6} req {r.RequestsPerSecond,9:N0} req/s  p50 {r.P50Ms,7:N1}  p95 {r.P95Ms,7:N1}  p99 {r.P99Ms,7:N1} ms  errors {r.Errors}{(r.FirstError is null ? "" : "  first error: " + r.FirstError)}");
                }
        }
        var hostPeakMb = host.PeakMb();
        // The host stops here: the floor is PostgreSQL's CPU alone, with no push worker beside it.
        host.Dispose();

        var floor = new List<PgbenchFloor.Result>();
        if (ranWrites.Count > 0)
        {
            var (movers, deskA, deskB) = moves.Pairs;
            await PgbenchFloor.CreateTablesAsync(conn, movers, deskA, deskB, seed.RoomIds);
            await using (var c = new NpgsqlConnection(conn))
            {
                var variables = new Dictionary<string, string>
                {
                    ["org"] = seed.OrgId.ToString(),
                    ["user"] = (await c.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE org_id = @o AND email = @e", new { o = seed.OrgId, e = seed.AdminEmail })).ToString(),
                    ["session"] = (await c.ExecuteScalarAsync<Guid>("SELECT family_id FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE u.org_id = @o AND u.email = @e AND t.revoked_at IS NULL LIMIT 1",
                        new { o = seed.OrgId, e = seed.AdminEmail })).ToString(),
                    ["moves"] = movers.Length.ToString(), ["rooms"] = seed.RoomIds.Length.ToString(),
                };
                Console.WriteLine("\nfloor: the same write transactions run by pgbench against this database (PostgreSQL's CPU alone)");
                static void PrintFloor(PgbenchFloor.Result f, string runs) =>
                    Console.WriteLine($"floor: {f.Workload,-20} {runs} {f.Transactions,6} tx {f.TransactionsPerSecond,9:N0} tx/s  latency avg {f.LatencyAverageMs,7:N1} ms  PostgreSQL {f.PostgresMs:N3} ms CPU/tx  ({f.Cpu}){(f.Error is null ? "" : "  error: " + f.Error)}");
                foreach (var (workload, script) in PgbenchFloor.Scripts)
                    foreach (var clients in ranWrites.Where(x => x.Workload == workload).Select(x => x.Clients))
                    {
                        // As many sessions as the host runs the SQL on (its pool): more would measure PostgreSQL's lock and
                        // WAL-insert contention among 100 backends (measured: 2-4x the CPU a write), which the host never causes.
                        var sessions = Math.Min(clients, o.PoolSize ?? ElectisSpace.Core.Configuration.ServerSettings.DefaultMaxPoolSize);
                        variables["clients"] = sessions.ToString();
                        var f = await PgbenchFloor.RunAsync(Path.Combine(pg.BinDirectory, "pgbench"), conn, cpu, workload, script, sessions, o.Seconds, variables)
                            with { Clients = clients, Sessions = sessions };
                        floor.Add(f);
                        PrintFloor(f, $"{f.Clients,4} clients ({f.Sessions} sessions)");
                        if (clients != ranWrites.Max(x => x.Clients)) continue;
                        // The same transaction in one round trip (a pipeline): the most that writing each change as one
                        // statement (entity, audit, events and outbox rows together) could save PostgreSQL (issue 37).
                        var p1 = await PgbenchFloor.RunAsync(Path.Combine(pg.BinDirectory, "pgbench"), conn, cpu, workload, PgbenchFloor.OneRoundTrip(script), sessions, o.Seconds, variables);
                        PrintFloor(p1, "one round trip ");
                    }
            }
            await PgbenchFloor.DropTablesAsync(conn);
        }

        var coldStarts = new List<ColdStart.Figures>();
        if (o.Only is null || o.Only.Contains("cold", StringComparison.OrdinalIgnoreCase))
        {
            // Each in a new process, one after the other, over the seeded database, on an otherwise idle machine.
            for (var i = 0; i < 3; i++)
            {
                coldStarts.Add(await ColdStart.FunctionsAsync(HostProcess.Settings(conn, aims.BaseUrl, o.PoolSize), seed.Token));
                coldStarts.Add(await ColdStart.StandaloneAsync(conn, aims.BaseUrl, seed.Token));
            }
            foreach (var f in coldStarts) Console.WriteLine($"cold start, {f.Host}: {f}");
        }

        Console.WriteLine();
        Console.WriteLine($"fetch all {seed.People:N0} people in one export call: host RSS grew {exportGrowth:N1} MB during 10 calls");
        Console.WriteLine($"host peak memory (VmHWM): {hostPeakMb:N0} MB");
        Console.WriteLine($"PostgreSQL: {durability}");
        Console.WriteLine($"load average at the end: {File.ReadAllText("/proc/loadavg").Trim()}");
        PrintTable(results, durability);
        NodePeer.PrintRatios(results);
        IdempotencyCost.Print(results);
        PrintFloor(results, floor);
        if (coldStarts.Count > 0) ColdStartTable(coldStarts);
        var verdicts = Targets.Check(results, exportGrowth, floor, coldStarts);
        Targets.Print(verdicts);

        var report = new
        {
            date = DateTimeOffset.UtcNow, machine, loadAverageAtEnd = File.ReadAllText("/proc/loadavg").Trim(),
            options = o, seeded = new { seed.People, spaces = seed.SpaceIds.Length, rooms = seed.RoomIds.Length, seed.Seconds },
            postgres = durability, hostPeakMemoryMb = hostPeakMb, exportRssGrowthMb = exportGrowth, results, floor, coldStarts, targets = verdicts,
            plans = plans.Select(p => new { query = p.What, plan = p.Plan }),
        };
        await File.WriteAllTextAsync(o.Out, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        Console.WriteLine($"\nwrote {Path.GetFullPath(o.Out)}");
        return 0;
    }

    private static Options Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int Int(string name, int fallback) => Value(name) is { } v ? int.Parse(v) : fallback;
        var people = Int("--people", 10_000);
        return new Options(people, Int("--spaces", 10_000), Int("--rooms", 200), Int("--requests", 3000), Int("--single-client-requests", 300),
            Value("--pool") is { } p ? int.Parse(p) : null, Value("--out") ?? "bench-results.json",
            Value("--clients") is { } c ? c.Split(',').Select(int.Parse).ToArray() : [1, 16, 100], Value("--only"), args.Contains("--hold"), Int("--seconds", 8), args.Contains("--no-wrk"),
            Value("--peer-url") is { } peer ? new Uri(peer) : null, Value("--peer-token"), args.Contains("--unsafe-fast"),
            [.. args.Select((a, i) => (a, i)).Where(x => x.a == "--pg-set" && x.i + 1 < args.Length).Select(x => args[x.i + 1])]);
    }

    private static string Machine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?";
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return $"{Environment.ProcessorCount} cores ({cpu}), {long.Parse(memKb) / 1024 / 1024.0:F1} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
               $".NET {Environment.Version}, load average at start {File.ReadAllText("/proc/loadavg").Trim()}";
    }

    private sealed record Seeded(Guid OrgId, string Code, string AdminEmail, string Token, HttpClient Client, int People,
        Guid[] PersonIds, Guid[] SpaceIds, Guid[] RoomIds, string[] UserEmails, double Seconds);

    private static async Task<Seeded> SeedAsync(HostProcess host, string conn, AimsEmulatorHost aims, Options o)
    {
        var sw = Stopwatch.StartNew();
        await using var ds = NpgsqlDataSource.Create(conn);
        var code = "BENCH";
        var email = "admin@bench.test";
        var created = await OrganizationSetup.CreateAsync(new Db(ds), new Passwords(), "Bench", code, email, Password);
        var client = host.Client(null);
        var token = await LoginAsync(client, email, code);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // Pointed at the emulator, so every write is pushed as in production (an organization without AIMS would keep its
        // whole outbox pending and re-scheduled, background work that would skew every figure).
        (await client.PatchAsJsonAsync("/api/settings", new
        {
            aims = new { baseUrl = aims.BaseUrl + "common", cluster = "common", company = EmulatorSeed.DefaultCompany, store = EmulatorSeed.DefaultStore,
                         username = EmulatorSeed.DefaultUsername, password = EmulatorSeed.DefaultPassword },
        })).EnsureSuccessStatusCode();

        // People through the real import (POOL ids, outbox, audit), in files under the 10 MiB limit.
        for (var start = 1; start <= o.People; start += 50_000)
        {
            var sb = new StringBuilder("externalId,name,department,title,email\n");
            for (var i = start; i < start + 50_000 && i <= o.People; i++)
                sb.Append($"E{i:D6},Person {i},Dept {i % 40},Engineer {i % 7},person{i}@example.test\n");
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(sb.ToString()));
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            var res = await client.PostAsync("/api/people/import", content);
            if (!res.IsSuccessStatusCode) throw new InvalidOperationException($"people import failed: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
        }
        await using var c = await ds.OpenConnectionAsync();
        await c.ExecuteAsync("""
            INSERT INTO spaces (org_id, external_id, data)
            SELECT @org, 'D' || lpad(i::text, 6, '0'), jsonb_build_object('roomName', 'Desk ' || i, 'floor', (i % 12)::text)
            FROM generate_series(1, @spaces) i;
            INSERT INTO conference_rooms (org_id, external_id, room_name)
            SELECT @org, 'R' || i, 'Room ' || i FROM generate_series(1, @rooms) i;
            """, new { org = created.OrgId, spaces = o.Spaces, rooms = o.Rooms });
        var users = new List<string>();
        for (var i = 0; i < 16; i++)
        {
            var userEmail = $"bench-user{i}@bench.test";
            var res = await client.PostAsJsonAsync("/api/users", new { email = userEmail, password = Password, role = "manager", firstName = "Bench", lastName = $"User {i}" });
            res.EnsureSuccessStatusCode();
            users.Add(userEmail);
        }
        foreach (var table in new[] { "people", "spaces", "conference_rooms", "users", "audit_logs", "sync_queue" })
            await c.ExecuteAsync($"VACUUM ANALYZE {table}");
        var personIds = (await c.QueryAsync<Guid>("SELECT id FROM people WHERE org_id = @o ORDER BY external_id", new { o = created.OrgId })).ToArray();
        var spaceIds = (await c.QueryAsync<Guid>("SELECT id FROM spaces WHERE org_id = @o ORDER BY external_id", new { o = created.OrgId })).ToArray();
        var roomIds = (await c.QueryAsync<Guid>("SELECT id FROM conference_rooms WHERE org_id = @o", new { o = created.OrgId })).ToArray();
        return new Seeded(created.OrgId, code, email, token, client, o.People, personIds, spaceIds, roomIds, [.. users], sw.Elapsed.TotalSeconds);
    }

    /// <summary>Waits until the organization's outbox has reached the emulator; the seconds it took.</summary>
    private static async Task<double> DrainPushQueueAsync(string conn, Guid orgId)
    {
        var sw = Stopwatch.StartNew();
        await using var c = new NpgsqlConnection(conn);
        while (await c.ExecuteScalarAsync<long>("SELECT count(*) FROM sync_queue WHERE org_id = @orgId AND status IN ('pending', 'processing')", new { orgId }) > 0)
        {
            if (sw.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException("the push queue did not drain in 5 minutes");
            await Task.Delay(250);
        }
        return sw.Elapsed.TotalSeconds;
    }

    private static async Task<string> LoginAsync(HttpClient client, string email, string code)
    {
        var login = await client.PostAsJsonAsync("/api/auth/login", new { email, password = Password, organization = code });
        login.EnsureSuccessStatusCode();
        return (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    /// <summary>The cursor that asks for page n, found by walking the cursors once.</summary>
    private static async Task<string> CursorForPageAsync(HttpClient client, int page, int limit)
    {
        var url = $"/api/people?limit={limit}";
        for (var p = 1; p < page; p++)
        {
            var body = await client.GetFromJsonAsync<JsonElement>(url);
            var next = body.GetProperty("pagination").GetProperty("nextCursor").GetString()!;
            if (p == page - 1) return next;
            url = $"/api/people?limit={limit}&cursor={Uri.EscapeDataString(next)}";
        }
        throw new ArgumentOutOfRangeException(nameof(page));
    }

    /// <summary>
    /// clients workers share one budget: each takes the next request number until the budget is spent, so every run
    /// sends exactly `budget` requests. Each worker has its own connection (as a separate client would).
    /// </summary>
    private static async Task<RunResult> DriveAsync(HostProcess host, string token, Workload w, int clients, int budget)
    {
        using var http = host.Client(token, clients);
        var latencies = new double[budget];
        var next = -1;
        var errors = 0;
        string? firstError = null;
        using var sampler = host.SampleRss();
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < budget)
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var res = await w.Send(http, i);
                    var body = await res.Content.ReadAsByteArrayAsync();
                    if (!res.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                        firstError ??= $"{(int)res.StatusCode} {Encoding.UTF8.GetString(body)[..Math.Min(200, body.Length)]}";
                    }
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref errors);
                    firstError ??= e.GetType().Name + ": " + e.Message;
                }
                latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
        })));
        var seconds = sw.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        return new RunResult(w.Name, clients, budget, Math.Round(seconds, 3), Math.Round(budget / seconds, 1),
            Math.Round(P(0.50), 2), Math.Round(P(0.95), 2), Math.Round(P(0.99), 2), Math.Round(latencies[^1], 2), errors, firstError, sampler.MaxMb);
    }

    /// <summary>Host RSS before and at most during 10 export calls: what streaming all people costs in memory.</summary>
    private static async Task<double> ExportMemoryAsync(HostProcess host, string token)
    {
        GC.Collect();
        await Task.Delay(500);
        var before = host.RssMb();
        using var sampler = host.SampleRss();
        using var http = host.Client(token);
        for (var i = 0; i < 10; i++) (await http.GetAsync("/api/people/export")).EnsureSuccessStatusCode();
        return Math.Round(sampler.MaxMb - before, 1);
    }

    /// <summary>EXPLAIN ANALYZE of the queries the lists run, at the seeded size.</summary>
    private static async Task<List<(string What, string Plan)>> PlansAsync(string conn, Guid orgId)
    {
        var req = new DefaultHttpContext().Request;
        var byCreated = ListSort.From(req, PeopleRepository.SortColumns, "createdAt");
        var bySpaceId = ListSort.From(req, SpacesRepository.SortColumns, "externalId");
        var plans = new List<(string, string)>();
        await using var c = new NpgsqlConnection(conn);
        async Task Explain(string what, (string Sql, DynamicParameters Args) q) =>
            plans.Add((what, string.Join("\n", await c.QueryAsync<string>("EXPLAIN (ANALYZE, COSTS OFF) " + q.Sql, q.Args))));
        var page1 = new PageRequest(1, 50);
        var all = new PeopleFilter(null, null, null, byCreated);
        var search = new PeopleFilter("Person 1", null, null, byCreated);
        var lastOfPage49 = await c.QuerySingleAsync<(string, Guid)>(
            // Page 49 of 100's last row, or the last person when fewer are seeded (--people below 4,900).
            "SELECT created_at::text, id FROM people WHERE org_id = @orgId ORDER BY created_at, id " +
            "OFFSET (SELECT least(4899, count(*) - 1) FROM people WHERE org_id = @orgId) LIMIT 1", new { orgId });
        await Explain("people, page 1 of 50", PeopleRepository.ListQuery(orgId, all, page1, null));
        await Explain("people, count", PeopleRepository.CountQuery(orgId, all));
        await Explain("people, page 50 of 100 by offset", PeopleRepository.ListQuery(orgId, all, new PageRequest(50, 100), null));
        await Explain("people, page 50 of 100 by cursor", PeopleRepository.ListQuery(orgId, all, new PageRequest(50, 100),
            new ListCursor("createdAt", lastOfPage49.Item1, lastOfPage49.Item2, 50, 100)));
        await Explain("people, search=Person 1", PeopleRepository.ListQuery(orgId, search, page1, null));
        await Explain("people, search=Person 1, count", PeopleRepository.CountQuery(orgId, search));
        await Explain("people, search=Person 4242, count", PeopleRepository.CountQuery(orgId, search with { Search = "Person 4242" }));
        await Explain("spaces, search=Desk 1", SpacesRepository.ListQuery(orgId, new SpaceFilter("Desk 1", null, null, bySpaceId), page1, null));
        await Explain("spaces, search=Desk 1, count", SpacesRepository.CountQuery(orgId, new SpaceFilter("Desk 1", null, null, bySpaceId)));
        return plans;
    }

    private static void PrintTable(List<RunResult> results, string durability)
    {
        Console.WriteLine();
        Console.WriteLine($"PostgreSQL {durability}");
        Console.WriteLine("| workload | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors | host RSS MB | generator |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
            Console.WriteLine($"| {r.Workload} | {r.Clients} | {r.Requests:N0} | {r.RequestsPerSecond:N0} | {r.P50Ms:N1} | {r.P95Ms:N1} | {r.P99Ms:N1} | {r.Errors} | {r.HostRssMaxMb:N0} | {r.Generator} |");
        Console.WriteLine();
        Console.WriteLine("| workload | clients | CPU ms/req | host | PostgreSQL | PostgreSQL background | load generator + emulator | other | cores busy | rate the cores allow at that cost |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results.Where(r => r.Cpu is not null))
            Console.WriteLine($"| {r.Workload} | {r.Clients} | {r.Cpu!.TotalMs:N2} | {r.Cpu.HostMs:N2} | {r.Cpu.PostgresMs:N2} | {r.Cpu.PostgresBackgroundMs:N2} | {r.Cpu.BenchMs:N2} | {r.Cpu.OtherMs:N2} | {r.Cpu.MachineBusyPercent:N0}% | {r.Cpu.CeilingPerSecond:N0} req/s |");
    }

    /// <summary>Each write's CPU in the API against its floor (the same SQL from pgbench): what the host adds, and the rates each allows.</summary>
    private static void PrintFloor(List<RunResult> results, List<PgbenchFloor.Result> floor)
    {
        if (floor.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine("| write | clients | floor: PostgreSQL CPU ms/tx (pgbench, same SQL, pool-size sessions) | floor rate on these cores | pgbench tx/s, avg latency ms | API: PostgreSQL ms/req | API: host ms/req | API: total ms/req | above the floor (what remains to win) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var f in floor.Where(f => f.Cpu is not null))
        {
            var api = results.FirstOrDefault(r => r.Workload == f.Workload && r.Clients == f.Clients && r.Cpu is not null);
            var cores = f.Cpu?.Cores ?? Environment.ProcessorCount;
            Console.WriteLine($"| {f.Workload} | {f.Clients} | {f.PostgresMs:N3} | {cores * 1000 / f.PostgresMs:N0} /s | {f.TransactionsPerSecond:N0}, {f.LatencyAverageMs:N1}{(f.Error is null ? "" : " (" + f.Error + ")")} | " +
                              (api?.Cpu is { } c
                                  ? $"{c.PostgresMs + c.PostgresBackgroundMs:N3} | {c.HostMs:N3} | {c.TotalMs:N3} | {c.TotalMs - f.PostgresMs:N3} ms: host {c.HostMs:N3}, load generator + emulator {c.BenchMs:N3}, PostgreSQL beyond the floor {c.PostgresMs + c.PostgresBackgroundMs - f.PostgresMs:N3} |"
                                  : "– | – | – | – |"));
        }
    }

    private static void ColdStartTable(List<ColdStart.Figures> figures)
    {
        Console.WriteLine();
        Console.WriteLine("| cold start | runtime start ms | composition root ms | first answer ms | first people page ms | worker's part ms | process start to answer ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        string Ms(double v) => double.IsNaN(v) ? "–" : v.ToString("N0");
        foreach (var f in figures)
            Console.WriteLine($"| {f.Host} | {Ms(f.RuntimeStartMs)} | {Ms(f.BuildMs)} | {Ms(f.FirstAnswerMs)} | {Ms(f.FirstPageMs)} | {Ms(f.WorkerMs)} | {Ms(f.ProcessMs)} |");
    }
}
