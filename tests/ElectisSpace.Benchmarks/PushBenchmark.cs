using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using ElectisSpace.AimsEmulator;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// The push path end to end (API commit → outbox → queue → processor → AIMS emulator) with the default PostgreSQL
/// provider, printing figures (not a BenchmarkDotNet job: what matters is a latency distribution and drain times):
/// change→AIMS latency p50/p95 over 1,000 changes, sustained pushes per second, and a 10,000-change burst drain time.
///
///     dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- push
/// </summary>
public static class PushBenchmark
{
    public static async Task RunAsync()
    {
        await using var aims = await AimsEmulatorHost.StartAsync();
        await using var server = await BenchmarkServer.StartAsync();

        // 1. Latency: one change at a time, each timed from the API's answer (committed) to the article being in AIMS.
        var client = await ConnectAsync(server, aims);
        var latencies = new List<double>();
        for (var i = 0; i < 1000; i++)
        {
            var id = $"LAT{i:D5}";
            (await client.PostAsJsonAsync("/api/spaces", new { externalId = id, data = new { roomName = "Desk " + i } })).EnsureSuccessStatusCode();
            var committed = Stopwatch.GetTimestamp();
            while (Article(aims, id) is null) await Task.Delay(1);
            latencies.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
        }
        latencies.Sort();
        Console.WriteLine($"change -> AIMS latency over 1,000 changes: p50 {Pct(latencies, 50):F0} ms, p95 {Pct(latencies, 95):F0} ms, max {latencies[^1]:F0} ms");

        // 2. Sustained: 8 writers creating spaces for 10 s; pushes per second = changes that reached AIMS / time to the last one.
        client = await ConnectAsync(server, aims);
        var sw = Stopwatch.StartNew();
        var made = 0;
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var n = 0; sw.Elapsed < TimeSpan.FromSeconds(10); n++)
            {
                (await client.PostAsJsonAsync("/api/spaces", new { externalId = $"SUS{w}X{n:D6}", data = new { roomName = "Desk" } })).EnsureSuccessStatusCode();
                Interlocked.Increment(ref made);
            }
        })).ToArray();
        await Task.WhenAll(writers);
        await WaitForArticlesAsync(aims, "SUS", made);
        Console.WriteLine($"sustained: {made:N0} changes from 8 writers in 10 s reached AIMS in {sw.Elapsed.TotalSeconds:F1} s = {made / sw.Elapsed.TotalSeconds:F0} pushes/s");

        // 3. Burst: 10,000 spaces in one import (one commit), timed until every article is in AIMS.
        client = await ConnectAsync(server, aims);
        var csv = new StringBuilder("externalId,roomName\n");
        for (var i = 0; i < 10_000; i++) csv.Append($"BUR{i:D5},Desk {i}\n");
        (await client.PostAsync("/api/spaces/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"))).EnsureSuccessStatusCode();
        sw.Restart();
        await WaitForArticlesAsync(aims, "BUR", 10_000);
        var posts = aims.Requests.Snapshot().Count(r => r.Method == "POST" && r.Path.EndsWith("/articles", StringComparison.Ordinal));
        Console.WriteLine($"burst: 10,000 changes committed at once drained to AIMS in {sw.Elapsed.TotalSeconds:F1} s (article POSTs in the whole run: {posts:N0})");
    }

    private static ElectisSpace.AimsEmulator.AimsArticle? Article(AimsEmulatorHost aims, string id) =>
        aims.State.Article(EmulatorSeed.DefaultCompany, EmulatorSeed.DefaultStore, id);

    private static async Task WaitForArticlesAsync(AimsEmulatorHost aims, string prefix, int count)
    {
        while (aims.State.Articles(EmulatorSeed.DefaultCompany, EmulatorSeed.DefaultStore).Count(a => a.ArticleId.StartsWith(prefix, StringComparison.Ordinal)) < count)
            await Task.Delay(20);
    }

    private static double Pct(List<double> sorted, int p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

    private static async Task<HttpClient> ConnectAsync(BenchmarkServer server, AimsEmulatorHost aims)
    {
        var client = await server.NewOrganizationClientAsync();
        (await client.PatchAsJsonAsync("/api/settings", new
        {
            aims = new { baseUrl = aims.BaseUrl + "common", cluster = "common", company = EmulatorSeed.DefaultCompany, store = EmulatorSeed.DefaultStore,
                         username = EmulatorSeed.DefaultUsername, password = EmulatorSeed.DefaultPassword },
        })).EnsureSuccessStatusCode();
        return client;
    }
}
