using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Idempotency;
using ElectisSpace.Core.Organizations;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Tests.Sync;

/// <summary>What the two-instance run counted (TwoHostsScenario). Missing, OrderViolations and JobsLeftActive must be 0.</summary>
public sealed record TwoHostsResult(
    int Keys, int ChangesOnA, int ChangesOnRestartedA, int ChangesOnB, int RetriedOnB, int KeysInAims, int ChangesInAims, int KeysDead, int ChangesDead,
    int DeadJobs, int Missing, int OrderViolations, long JobsLeftActive, int AimsArticleWrites,
    int FullSyncJobs, int FullSyncStartedAnswers, bool FullSyncSameJob, string FullSyncStatus,
    bool KeptListShowsWrite, bool KeptItemShowsWrite, double BurstSeconds, double DrainSeconds)
{
    public int Changes => ChangesOnA + ChangesOnB;

    public IEnumerable<string> Lines() =>
    [
        $"changes made: {Changes:N0} on {Keys:N0} spaces (host A {ChangesOnA:N0} ({ChangesOnRestartedA:N0} of them after its SIGKILL and restart), host B {ChangesOnB:N0}; " +
        $"{RetriedOnB:N0} sent to A when it died, answered by B)",
        $"in AIMS: {ChangesInAims:N0} changes ({KeysInAims:N0} spaces at their last committed version; {AimsArticleWrites:N0} article writes)",
        $"in dead letters: {ChangesDead:N0} changes ({KeysDead:N0} spaces, {DeadJobs:N0} dead jobs)",
        $"missing: {Missing:N0}   order violations: {OrderViolations:N0}   jobs left active: {JobsLeftActive:N0}",
        $"full sync triggered on both at once: {FullSyncJobs} job(s) run, {FullSyncStartedAnswers} answer(s) 'started', same job in both answers: {FullSyncSameJob}, {FullSyncStatus}",
        $"kept answers on A after a write on B: list shows it {KeptListShowsWrite}, item shows it {KeptItemShowsWrite}",
        $"elapsed: burst {BurstSeconds:N1} s ({Changes / Math.Max(BurstSeconds, 0.001):N0} changes/s), drained {DrainSeconds:N1} s after the last change " +
        $"({Changes / Math.Max(BurstSeconds + DrainSeconds, 0.001):N0} changes/s end to end)",
    ];
}

/// <summary>
/// Issue 33 item 7: two Standalone host processes on one PostgreSQL, Queue:Provider = AzureStorage on Azurite, pushing to
/// the AIMS emulator. Changes (each space created, then edited, alternating hosts) are spread over both; host A is
/// SIGKILLed mid-burst and restarted. A request A never answered is sent again to B (the create with its
/// Idempotency-Key, the edit with its If-Match), so each change is counted once, on the host that committed it. Then the
/// counts: every change's space ends in AIMS at its last committed version or in dead letters, AIMS never got an older
/// version of a space after a newer one, no job is left active; a full sync triggered on both hosts at once runs once; a
/// list answer kept on A shows a write made on B. Shared by TwoHostsTests (scaled down) and the bench's two-hosts mode.
/// </summary>
public static class TwoHostsScenario
{
    private const string Password = "TwoHosts-Passw0rd";

    /// <summary>How many changes each space gets (its create, then edits).</summary>
    public const int ChangesPerSpace = 10;

    /// <summary>
    /// The hosts' settings on top of <paramref name="baseSettings"/> (database, keys): the Azure Storage queue, the push
    /// worker on, and leases short enough that the killed host's claimed jobs are sent again within seconds.
    /// </summary>
    public static Dictionary<string, string> HostSettings(IReadOnlyDictionary<string, string> baseSettings, AzuriteServer azurite) =>
        new(baseSettings)
        {
            ["Queue:Provider"] = "AzureStorage",
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Sync:WorkerEnabled"] = "true",
            ["Sync:TimersEnabled"] = "false",
            // A push's AIMS call (one attempt of up to 5 s) may outlast the 3 s lease: the claim's renewal keeps the jobs, so the
            // other host never pushes a newer version that a late POST then overwrites (with this lease, before the renewal,
            // 7 of 100 spaces ended at an older edit on a busy machine).
            ["Aims:AttemptTimeoutSeconds"] = "5",
            ["Aims:MaxRetries"] = "0",
            ["Sync:LeaseSeconds"] = "3",
            ["Sync:SweepIntervalSeconds"] = "1",
        };

    /// <summary>One host's place: its process (A's is replaced when it is restarted) and a client signed in as the admin.</summary>
    private sealed class Slot(string name)
    {
        public string Name { get; } = name;
        public StandaloneProcess? Process;
        public HttpClient Client = null!;
        public volatile bool Down;
        public int Made;
    }

    public static async Task<TwoHostsResult> RunAsync(string connectionString, IReadOnlyDictionary<string, string> baseSettings,
        AzuriteServer azurite, AimsEmulatorHost aims, int changes, Action<string>? log = null, int writers = 8)
    {
        var clock = Stopwatch.StartNew();
        var print = log ?? (_ => { });
        log = line => print($"[{clock.Elapsed.TotalSeconds,6:N1} s] {line}");
        var settings = HostSettings(baseSettings, azurite);
        var keys = Math.Max(1, changes / ChangesPerSpace);
        var prefix = $"TH{Guid.NewGuid():N}"[..8].ToUpperInvariant();
        string Key(int k) => $"{prefix}{k:D5}";

        // AIMS's write history of this run's articles, in the order AIMS applied them (the hook runs under its lock).
        var history = new ConcurrentDictionary<string, List<int>>();
        var articleWrites = 0;
        aims.State.Options.ArticleWritten = (id, data) =>
        {
            if (!id.StartsWith(prefix, StringComparison.Ordinal)) return;
            Interlocked.Increment(ref articleWrites);
            var seqs = history.GetOrAdd(id, _ => []);
            lock (seqs) seqs.Add(data.TryGetValue("seq", out var s) && int.TryParse(s, out var n) ? n : -1);
        };

        var (a, b) = (new Slot("A"), new Slot("B"));
        var slots = new[] { a, b };
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            var code = ("TH" + Guid.NewGuid().ToString("N"))[..12].ToUpperInvariant();
            var email = $"admin-{code}@two-hosts.test".ToLowerInvariant();
            var org = await OrganizationSetup.CreateAsync(new Db(dataSource), new Passwords(), "Two hosts " + code, code, email, Password);
            var starts = slots.Select(s => StandaloneProcess.StartAsync(settings)).ToArray();
            (a.Process, b.Process) = (await starts[0], await starts[1]);
            var token = await LoginAsync(a.Process, code, email);
            foreach (var s in slots) s.Client = s.Process!.Client(token);
            await Ok(await a.Client.PatchAsJsonAsync("/api/settings", new
            {
                aims = new { baseUrl = aims.BaseUrl + "common", cluster = "common", company = EmulatorSeed.DefaultCompany, store = EmulatorSeed.DefaultStore,
                             username = EmulatorSeed.DefaultUsername, password = EmulatorSeed.DefaultPassword },
            }));
            log($"two hosts up (A pid {a.Process.Pid}, B pid {b.Process.Pid}); {changes:N0} changes on {keys:N0} spaces from {writers} writers");

            // The burst. Each writer owns some spaces and goes round them: a space's changes are made one after another, each
            // on the other host than the one before, so a space's order is its changes' order across both hosts.
            var made = 0;
            var retriedOnB = 0;
            var killAt = Math.Max(1, keys * ChangesPerSpace * 2 / 5);
            var killed = new TaskCompletionSource();
            var back = new TaskCompletionSource();
            var madeOnABeforeRestart = 0;
            var burst = Stopwatch.StartNew();
            var killer = Task.Run(async () =>
            {
                await killed.Task;
                var dead = a.Process!;
                dead.Kill(); // SIGKILL mid-burst: requests in flight on A get no answer (and are sent again to B)
                a.Down = true;
                log($"host A killed after {Volatile.Read(ref made):N0} changes; restarting it");
                a.Process = await StandaloneProcess.StartAsync(settings);
                a.Client = a.Process.Client(token);
                madeOnABeforeRestart = Volatile.Read(ref a.Made);
                a.Down = false;
                back.TrySetResult();
                dead.Dispose();
                log($"host A back (pid {a.Process.Pid}) after {Volatile.Read(ref made):N0} changes");
            });

            // Sends to the preferred host; when it is A and A is down or dies meanwhile, the same request goes to B. Answers
            // the response and whether B answered for A.
            async Task<(HttpResponseMessage Response, Slot Host, bool Resent)> SendAsync(int preferred, Func<HttpRequestMessage> request)
            {
                var host = slots[preferred].Down ? b : slots[preferred];
                if (host == b) return (await b.Client.SendAsync(request()), b, false);
                try { return (await host.Client.SendAsync(request()), host, false); }
                catch (HttpRequestException) { return (await b.Client.SendAsync(request()), b, true); }
            }

            void Count(Slot host)
            {
                Interlocked.Increment(ref host.Made);
                if (Interlocked.Increment(ref made) == killAt) killed.TrySetResult();
            }

            async Task WriteAsync(int writer)
            {
                var mine = Enumerable.Range(0, keys).Where(k => k % writers == writer).ToArray();
                var ids = new Guid[keys];
                var versions = new int[keys];
                for (var round = 0; round < ChangesPerSpace; round++)
                {
                    // The last rounds wait for the restarted A, so it takes changes again (however long its start takes).
                    if (round == ChangesPerSpace * 7 / 10) await back.Task;
                    foreach (var k in mine)
                    {
                        var preferred = (k + round) % 2;
                        if (round == 0)
                        {
                            var idempotencyKey = Guid.NewGuid().ToString();
                            var (res, host, resent) = await SendAsync(preferred, () => new HttpRequestMessage(HttpMethod.Post, "/api/spaces")
                            {
                                Content = JsonContent.Create(new { externalId = Key(k), data = new { roomName = "Desk " + k, seq = "0" } }),
                                Headers = { { IdempotentRequest.Header, idempotencyKey } },
                            });
                            var body = await Ok(res);
                            (ids[k], versions[k]) = (body.GetProperty("id").GetGuid(), body.GetProperty("version").GetInt32());
                            // A replay on B is A's answer: the space was created on A before it died.
                            var replayed = res.Headers.TryGetValues(RecordedResponse.ReplayedHeader, out var v) && v.Contains("true");
                            if (resent) Interlocked.Increment(ref retriedOnB);
                            Count(replayed ? a : host);
                        }
                        else
                        {
                            var (id, version) = (ids[k], versions[k]);
                            var (res, host, resent) = await SendAsync(preferred, () => new HttpRequestMessage(HttpMethod.Patch, $"/api/spaces/{id}")
                            {
                                Content = JsonContent.Create(new { data = new { seq = round.ToString() } }),
                                Headers = { { "If-Match", $"\"{version}\"" } },
                            });
                            if (resent) Interlocked.Increment(ref retriedOnB);
                            if (resent && res.StatusCode == HttpStatusCode.Conflict)
                            {
                                // The version had moved: A committed this edit before it died.
                                var now = await Ok(await b.Client.GetAsync($"/api/spaces/{id}"));
                                if (now.GetProperty("data").GetProperty("seq").GetString() != round.ToString())
                                    throw new InvalidOperationException($"space {Key(k)}: 409 on B, but its data is not edit {round}: {now}");
                                versions[k] = now.GetProperty("version").GetInt32();
                                Count(a);
                                continue;
                            }
                            versions[k] = (await Ok(res)).GetProperty("version").GetInt32();
                            Count(host);
                        }
                    }
                }
            }

            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteAsync(w))).Append(killer));
            burst.Stop();
            log($"burst: {made:N0} changes in {burst.Elapsed.TotalSeconds:N1} s; waiting for every job to end");

            var drain = Stopwatch.StartNew();
            await WaitAsync(async () => await OpenJobsAsync(dataSource, org.OrgId) == 0, TimeSpan.FromSeconds(Math.Max(120, keys / 5)),
                async () => $"jobs still open: {await SummaryAsync(dataSource, org.OrgId)}");
            drain.Stop();
            // Jobs end when AIMS has answered; the emulator applies an accepted write at once (no visibility delay here).

            // The counts, from the database (the last committed version of each space, dead jobs) and AIMS.
            await using var conn = await dataSource.OpenConnectionAsync();
            var final = (await conn.QueryAsync<(string ExternalId, string? Seq)>(
                "SELECT external_id, data->>'seq' FROM spaces WHERE org_id = @OrgId", new { org.OrgId })).ToDictionary(r => r.ExternalId, r => r.Seq);
            var deadKeys = (await conn.QueryAsync<string>("""
                SELECT DISTINCT s.external_id FROM sync_queue q JOIN spaces s ON s.id = q.entity_id
                WHERE q.org_id = @OrgId AND q.status = 'dead'
                """, new { org.OrgId })).ToHashSet();
            var deadJobs = (int)await conn.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM sync_queue WHERE org_id = @OrgId AND status = 'dead'", new { org.OrgId });
            var inAims = final.Where(f => aims.State.Article(EmulatorSeed.DefaultCompany, EmulatorSeed.DefaultStore, f.Key) is { } art
                                          && art.Data.TryGetValue("seq", out var s) && s == f.Value).Select(f => f.Key).ToHashSet();
            var dead = deadKeys.Except(inAims).ToHashSet();
            var missing = Enumerable.Range(0, keys).Select(Key).Count(k => !inAims.Contains(k) && !dead.Contains(k));
            var backwards = history.Count(h => { lock (h.Value) return h.Value.Zip(h.Value.Skip(1)).Any(p => p.Second < p.First); });
            var active = await conn.ExecuteScalarAsync<long>("""
                SELECT (SELECT count(*) FROM sync_queue WHERE org_id = @OrgId AND status IN ('pending', 'processing'))
                     + (SELECT count(*) FROM sync_jobs WHERE org_id = @OrgId AND status IN ('queued', 'running'))
                """, new { org.OrgId });
            log($"counted: {inAims.Count:N0} spaces in AIMS, {dead.Count:N0} dead, {missing:N0} missing");

            // A full sync triggered on both hosts at once. AIMS's first article read is slow, so the first job is still
            // running when the other request arrives, whichever host it reaches first.
            aims.Faults.Add(new FaultRule { RouteContains = "/articles", Method = "GET", Kind = FaultKind.Delay, Delay = TimeSpan.FromSeconds(2), Remaining = 1 });
            var answers = await Task.WhenAll(slots.Select(async s =>
                await Accepted(await s.Client.PostAsJsonAsync("/api/sync/trigger", new { type = "full" }))));
            var jobIds = answers.Select(x => x.GetProperty("jobId").GetGuid()).Distinct().ToList();
            await WaitAsync(async () => await conn.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM sync_jobs WHERE org_id = @OrgId AND type = 'full' AND status IN ('queued', 'running')", new { org.OrgId }) == 0,
                TimeSpan.FromSeconds(Math.Max(120, keys / 5)), () => Task.FromResult("the full sync still running"));
            var fullJobs = (await conn.QueryAsync<(string Status, string? Stats)>(
                "SELECT status, stats::text FROM sync_jobs WHERE org_id = @OrgId AND type = 'full'", new { org.OrgId })).ToList();
            var started = answers.Count(x => !x.GetProperty("alreadyRunning").GetBoolean());

            // Kept answers: A keeps a list page and a space (built twice), B edits that space, A's next answers show it.
            var first = Key(0);
            var listUrl = $"/api/spaces?search={first}&limit=5";
            JsonElement space = default;
            for (var i = 0; i < 2; i++) space = (await Ok(await a.Client.GetAsync(listUrl))).GetProperty("data")[0];
            var spaceId = space.GetProperty("id").GetGuid();
            for (var i = 0; i < 2; i++) await Ok(await a.Client.GetAsync($"/api/spaces/{spaceId}"));
            var mark = Guid.NewGuid().ToString("N")[..8];
            await Ok(await b.Client.PatchAsJsonAsync($"/api/spaces/{spaceId}", new { data = new { keptCheck = mark } }));
            bool Shows(JsonElement e) => e.GetProperty("data").TryGetProperty("keptCheck", out var m) && m.GetString() == mark;
            var listShows = Shows((await Ok(await a.Client.GetAsync(listUrl))).GetProperty("data")[0]);
            var itemShows = Shows(await Ok(await a.Client.GetAsync($"/api/spaces/{spaceId}")));

            int ChangesOf(IEnumerable<string> ks) => ks.Count() * ChangesPerSpace;
            return new TwoHostsResult(keys, a.Made, a.Made - madeOnABeforeRestart, b.Made, retriedOnB, inAims.Count, ChangesOf(inAims), dead.Count, ChangesOf(dead), deadJobs,
                missing * ChangesPerSpace, backwards, active, articleWrites, fullJobs.Count, started, jobIds.Count == 1,
                string.Join(", ", fullJobs.Select(j => $"{j.Status} {j.Stats}")), listShows, itemShows,
                burst.Elapsed.TotalSeconds, drain.Elapsed.TotalSeconds);
        }
        finally
        {
            aims.State.Options.ArticleWritten = null;
            foreach (var s in slots) s.Process?.Dispose();
        }
    }

    private static async Task<string> LoginAsync(StandaloneProcess host, string organization, string email)
    {
        using var c = host.Client(null);
        var body = await Ok(await c.PostAsJsonAsync("/api/auth/login", new { email, password = Password, organization }));
        return body.GetProperty("accessToken").GetString()!;
    }

    private static Task<long> OpenJobsAsync(NpgsqlDataSource db, Guid orgId) => WithConnection(db, c => c.ExecuteScalarAsync<long>(
        "SELECT count(*) FROM sync_queue WHERE org_id = @orgId AND status IN ('pending', 'processing')", new { orgId }));

    private static Task<string> SummaryAsync(NpgsqlDataSource db, Guid orgId) => WithConnection(db, async c => string.Join("; ",
        (await c.QueryAsync<(string, long, string?)>("SELECT status, count(*), max(last_error) FROM sync_queue WHERE org_id = @orgId GROUP BY status",
            new { orgId })).Select(s => $"{s.Item1}={s.Item2} ({s.Item3})")));

    private static async Task<T> WithConnection<T>(NpgsqlDataSource db, Func<NpgsqlConnection, Task<T>> read)
    {
        await using var c = await db.OpenConnectionAsync();
        return await read(c);
    }

    private static async Task WaitAsync(Func<Task<bool>> done, TimeSpan timeout, Func<Task<string>> what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await done())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"Timed out after {timeout.TotalSeconds:N0} s: {await what()}");
            await Task.Delay(100);
        }
    }

    private static Task<JsonElement> Ok(HttpResponseMessage res) => Expect(res, HttpStatusCode.OK, HttpStatusCode.Created);

    private static Task<JsonElement> Accepted(HttpResponseMessage res) => Expect(res, HttpStatusCode.Accepted);

    private static async Task<JsonElement> Expect(HttpResponseMessage res, params HttpStatusCode[] expected)
    {
        var text = await res.Content.ReadAsStringAsync();
        if (!expected.Contains(res.StatusCode))
            throw new InvalidOperationException($"{res.RequestMessage?.Method} {res.RequestMessage?.RequestUri}: {(int)res.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
