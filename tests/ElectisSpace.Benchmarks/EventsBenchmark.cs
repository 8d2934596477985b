using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
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

        var pg = await PostgresServer.GetAsync();
        var conn = await pg.CreateDatabaseAsync();
        await using var aims = await AimsEmulatorHost.StartAsync();
        using var host = await HostProcess.StartAsync(conn, aims.BaseUrl, null);
        await using var ds = NpgsqlDataSource.Create(conn);
        await OrganizationSetup.CreateAsync(new Db(ds), new Passwords(), "Events bench", "EVBENCH", "admin@events.bench", Password);
        using var login = host.Client(null);
        var res = await login.PostAsJsonAsync("/api/auth/login", new { email = "admin@events.bench", password = Password, organization = "EVBENCH" });
        res.EnsureSuccessStatusCode();
        var token = (await res.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;

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
        using var writer = host.Client(token, connections: 64);
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
        var created = 0;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        var total = rate * seconds;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
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
        var complete = listeners.Count(l => l.Count == created);
        var told = listeners.Count(l => l.Lagged);
        var silent = listeners.Count(l => l.Count < created && !l.Lagged);
        Console.WriteLine($"  rate:     {created} changes in {took:F1} s = {created / took:F0}/s ({failed} failed; target {rate}/s); " +
                          $"{complete} streams got all, {told} told they lagged, {silent} behind without being told");
        Console.WriteLine($"  host RSS at the end {host.RssMb():F0} MB (peak {host.PeakMb()} MB)");
        await stop.CancelAsync();
        foreach (var l in listeners) l.Dispose();
        return silent == 0 ? 0 : 1;
    }

    private static async Task<string> CreateAsync(HttpClient c)
    {
        var res = await c.PostAsJsonAsync("/api/spaces", new { externalId = "EV" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant(), data = new { roomName = "Room" } });
        res.EnsureSuccessStatusCode();
        return (await res.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static double Pct(List<double> sorted, int p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, sorted.Count * p / 100)];

    /// <summary>One stream, read as it comes: when each entity's event arrived, how many arrived, and whether it was told it lagged.</summary>
    private sealed class Listener : IDisposable
    {
        private HttpResponseMessage _response = null!;
        public ConcurrentDictionary<string, long> Received { get; } = new();
        public int Count;
        public bool Lagged;

        public static async Task<Listener> OpenAsync(HttpClient client, CancellationToken ct)
        {
            var l = new Listener();
            var req = new HttpRequestMessage(HttpMethod.Get, "/api/events");
            req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            l._response = await client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
            l._response.EnsureSuccessStatusCode();
            var body = await l._response.Content.ReadAsStreamAsync(ct);
            _ = Task.Run(async () =>
            {
                using var reader = new StreamReader(body);
                try
                {
                    while (await reader.ReadLineAsync(ct) is { } line)
                    {
                        if (line == "event: lagged") l.Lagged = true;
                        // data: {"id": "<uuid>", ...} (jsonb puts the shortest key first)
                        else if (line.StartsWith("data: {\"id\": \"", StringComparison.Ordinal) && line.Length > 50)
                        {
                            l.Received.TryAdd(line.Substring(14, 36), Stopwatch.GetTimestamp());
                            Interlocked.Increment(ref l.Count);
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
            }, ct);
            return l;
        }

        public void Dispose() => _response.Dispose();
    }
}
