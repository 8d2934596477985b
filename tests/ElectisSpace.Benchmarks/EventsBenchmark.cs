using Dapper;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Organizations;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// Live updates (GET /api/events) on one Standalone host process: N open streams (default 1,000), the delay from the
/// request that commits a change to its event on every stream (p50/p95/max), the host's memory per stream, and a
/// sustained change rate (default 500/s) with every stream's count checked: a stream that fell behind must have been
/// told (a "lagged" event), never silently.
/// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- events [--streams 1000] [--rate 500] [--seconds 10]
/// </summary>
public static class EventsBenchmark
{
    private const string Password = "Bench-Passw0rd";

    public static async Task<int> RunAsync(string[] args)
    {
        int Int(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
        var streams = Int("--streams", 1000);
        var rate = Int("--rate", 500);
        var seconds = Int("--seconds", 10);

        await using var pg = await PostgresServer.StartDurableAsync(); // durable, as users run it (issue 37)
        var conn = await pg.CreateDatabaseAsync();
        await using var aims = await AimsEmulatorHost.StartAsync();
        using var host = await HostProcess.StartAsync(conn, aims.BaseUrl, null);
        await using var ds = NpgsqlDataSource.Create(conn);
        var org = await OrganizationSetup.CreateAsync(new Db(ds), new Passwords(), "Events bench", "EVBENCH", "admin@events.bench", Password);
        using var login = host.Client(null);
        var res = await login.PostAsJsonAsync("/api/auth/login", new { email = "admin@events.bench", password = Password, organization = "EVBENCH" });
        res.EnsureSuccessStatusCode();
        var token = (await res.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;

        login.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // Pointed at the emulator: every change is pushed and its syncStatus event streamed, as in production (without AIMS
        // the outbox would stay pending and be re-scheduled, background work that is no part of live updates).
        (await login.PatchAsJsonAsync("/api/settings", new
        {
            aims = new { baseUrl = aims.BaseUrl + "common", cluster = "common", company = EmulatorSeed.DefaultCompany, store = EmulatorSeed.DefaultStore,
                         username = EmulatorSeed.DefaultUsername, password = EmulatorSeed.DefaultPassword },
        })).EnsureSuccessStatusCode();

        Console.WriteLine($"events: {streams} streams on one Standalone host");
        await Task.Delay(1000);
        var rssBefore = host.RssMb();
        using var streamClient = host.Client(token, connections: streams + 16);
        streamClient.Timeout = Timeout.InfiniteTimeSpan;
        using var stop = new CancellationTokenSource();
        var listeners = new List<Listener>();
        var opening = Stopwatch.StartNew();
        foreach (var batch in Enumerable.Range(0, streams).Chunk(50))
            listeners.AddRange(await Task.WhenAll(batch.Select(_ => Listener.OpenAsync(streamClient, stop.Token))));
        await Task.Delay(2000);
        var rssAfter = host.RssMb();
        Console.WriteLine($"  open:     {streams} streams in {opening.Elapsed.TotalSeconds:F1} s; host RSS {rssBefore:F0} -> {rssAfter:F0} MB, " +
                          $"{(rssAfter - rssBefore) * 1024 / streams:F1} KB per stream");

        // Latency: one change at a time, from sending the request that commits it to its event on each stream.
        using var writer = host.Client(token, connections: 256);
        var sent = new ConcurrentDictionary<string, long>();
        for (var i = 0; i < 50; i++)
        {
            var t = Stopwatch.GetTimestamp();
            var space = await CreateAsync(writer);
            sent[space] = t;
            await Task.Delay(100);
        }
        await Task.Delay(2000);
        var delays = new List<double>();
        var missing = 0;
        foreach (var l in listeners)
            foreach (var (id, t) in sent)
                if (l.Received.TryGetValue(id, out var at)) delays.Add(Stopwatch.GetElapsedTime(t, at).TotalMilliseconds);
                else missing++;
        delays.Sort();
        Console.WriteLine($"  latency:  {sent.Count} changes x {streams} streams: p50 {Pct(delays, 50):F0} ms, p95 {Pct(delays, 95):F0} ms, " +
                          $"max {delays.LastOrDefault():F0} ms, {missing} not delivered (target p95 < 250 ms)");

        // Sustained: rate changes per second for the duration, paced; then every stream's count.
        foreach (var l in listeners) l.Count = 0;
        Listener.Timing = false; // the sustained run counts events; it does not time them
        var created = 0;
        var failed = 0;
        var cpu = new CpuMeter(host.Pid, pg.DataDirectory).Start();
        var clock = Stopwatch.StartNew();
        var total = rate * seconds;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 256).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var k && k < total)
            {
                var due = TimeSpan.FromSeconds((double)k / rate) - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due);
                try { await CreateAsync(writer); Interlocked.Increment(ref created); }
                catch (HttpRequestException) { Interlocked.Increment(ref failed); }
            }
        }));
        var took = clock.Elapsed.TotalSeconds;
        await Task.Delay(3000);
        var perChange = cpu(created);
        var complete = listeners.Count(l => l.Count == created);
        var told = listeners.Count(l => l.Lagged);
        var silent = listeners.Count(l => l.Count < created && !l.Lagged);
        Console.WriteLine($"  rate:     {created} changes in {took:F1} s = {created / took:F0}/s ({failed} failed; target {rate}/s); " +
                          $"{complete} streams got all, {told} told they lagged, {silent} behind without being told");
        if (perChange is not null) Console.WriteLine($"  CPU a change delivered to {streams} streams (the readers are the load generator): {perChange}");

        // Sustained fan-out alone: the same rate of events committed by another process, as the sync path commits them
        // (syncStatus rows, a statement every 50 ms), so the API's write cost (issue 37) is not what limits the rate; they
        // reach this host by its poll, as another instance's commits do.
        await using (var c = await ds.OpenConnectionAsync())
            while (await c.ExecuteScalarAsync<long>("SELECT count(*) FROM sync_queue WHERE org_id = @orgId AND status IN ('pending', 'processing')", new { orgId = org.OrgId }) > 0)
                await Task.Delay(200); // the creates' pushes and their syncStatus events are over before these are counted
        await Task.Delay(1000);
        foreach (var l in listeners) l.StatusCount = 0;
        cpu = new CpuMeter(host.Pid, pg.DataDirectory).Start();
        var inserted = 0;
        clock.Restart();
        await using (var c = await ds.OpenConnectionAsync())
            for (var tick = 1; tick <= seconds * 20; tick++)
            {
                var rows = rate * tick / 20 - inserted;
                inserted += await c.ExecuteAsync("""
                    INSERT INTO events (org_id, type, data)
                    SELECT @orgId, 'space:syncStatus', jsonb_build_object('id', gen_random_uuid(), 'version', 1, 'syncStatus', 'synced', 'error', null)
                    FROM generate_series(1, @rows)
                    """, new { orgId = org.OrgId, rows });
                var due = TimeSpan.FromMilliseconds(50 * tick) - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due);
            }
        took = clock.Elapsed.TotalSeconds;
        await Task.Delay(3000);
        var perEvent = cpu(inserted);
        var statusComplete = listeners.Count(l => l.StatusCount == inserted);
        var statusSilent = listeners.Count(l => l.StatusCount < inserted && !l.Lagged);
        Console.WriteLine($"  fan-out:  {inserted} events committed by another process in {took:F1} s = {inserted / took:F0}/s (target {rate}/s); " +
                          $"{statusComplete} streams got all, {listeners.Count(l => l.Lagged)} told they lagged, {statusSilent} behind without being told");
        if (perEvent is not null) Console.WriteLine($"  CPU an event delivered to {streams} streams: {perEvent}");
        Console.WriteLine($"  host RSS at the end {host.RssMb():F0} MB (peak {host.PeakMb()} MB)");
        await stop.CancelAsync();
        foreach (var l in listeners) l.Dispose();
        return silent == 0 && statusSilent == 0 ? 0 : 1;
    }

    private static async Task<string> CreateAsync(HttpClient c)
    {
        var res = await c.PostAsJsonAsync("/api/spaces", new { externalId = "EV" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant(), data = new { roomName = "Room" } });
        res.EnsureSuccessStatusCode();
        return (await res.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static double Pct(List<double> sorted, int p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, sorted.Count * p / 100)];

    /// <summary>
    /// One stream, read as it comes: how many space:created events arrived, when each one arrived while <see cref="Timing"/> is
    /// on, and whether it was told it lagged. It scans bytes rather than reading lines into strings: a thousand readers
    /// at 500 events a second share the host's 2 cores, and a string per line would measure the bench, not the host.
    /// </summary>
    private sealed class Listener : IDisposable
    {
        private static readonly byte[] DataPrefix = "data: {\"id\": \""u8.ToArray(); // jsonb puts the shortest key first
        private static readonly byte[] LaggedLine = "event: lagged"u8.ToArray();
        private static readonly byte[] CreatedLine = "event: space:created"u8.ToArray();
        private static readonly byte[] StatusLine = "event: space:syncStatus"u8.ToArray();
        private HttpResponseMessage _response = null!;
        public ConcurrentDictionary<string, long> Received { get; } = new();
        public static volatile bool Timing = true;
        public int Count;
        public int StatusCount;
        public bool Lagged;

        public static async Task<Listener> OpenAsync(HttpClient client, CancellationToken ct)
        {
            var l = new Listener();
            var req = new HttpRequestMessage(HttpMethod.Get, "/api/events");
            req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            l._response = await client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
            l._response.EnsureSuccessStatusCode();
            var body = await l._response.Content.ReadAsStreamAsync(ct);
            _ = Task.Run(() => l.ReadAsync(body, ct), ct);
            return l;
        }

        private async Task ReadAsync(Stream body, CancellationToken ct)
        {
            var buffer = new byte[64 * 1024];
            var kept = 0; // bytes of an unfinished line at the start of the buffer
            try
            {
                while (true)
                {
                    if (kept == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                    var read = await body.ReadAsync(buffer.AsMemory(kept), ct);
                    if (read == 0) return;
                    var at = Stopwatch.GetTimestamp();
                    var data = buffer.AsSpan(0, kept + read);
                    int newline;
                    while ((newline = data.IndexOf((byte)'\n')) >= 0)
                    {
                        Line(data[..newline], at);
                        data = data[(newline + 1)..];
                    }
                    data.CopyTo(buffer);
                    kept = data.Length;
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
        }

        private bool _created; // the event being read is a space:created (the changes the bench makes; not their syncStatus)

        private void Line(ReadOnlySpan<byte> line, long at)
        {
            if (line.StartsWith("event: "u8))
            {
                _created = line.SequenceEqual(CreatedLine);
                if (line.SequenceEqual(StatusLine)) Interlocked.Increment(ref StatusCount);
                if (line.SequenceEqual(LaggedLine)) Lagged = true;
            }
            else if (_created && line.StartsWith(DataPrefix) && line.Length > DataPrefix.Length + 36)
            {
                _created = false;
                if (Timing) Received.TryAdd(Encoding.ASCII.GetString(line.Slice(DataPrefix.Length, 36)), at);
                Interlocked.Increment(ref Count);
            }
        }

        public void Dispose() => _response.Dispose();
    }
}
