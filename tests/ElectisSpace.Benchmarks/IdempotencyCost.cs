using System.Net.Http.Json;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// What an Idempotency-Key costs a create (issue 36: within 10 %): "create a person" again, each request with a key of
/// its own (never repeating across runs, so every one is a first request, not a replay), and the ratio of the two.
/// </summary>
public static class IdempotencyCost
{
    public const string Workload = "create a person, with Idempotency-Key";
    private const string Without = "create a person";

    public static Task<HttpResponseMessage> CreatePersonAsync(HttpClient c, int i)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, "/api/people")
        {
            Content = JsonContent.Create(new { data = new { name = $"Bench {i}", department = "Load" } }),
        };
        req.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        return c.SendAsync(req);
    }

    public static readonly WrkSpec Wrk = new("/api/people", """
        local n = 0
        request = function()
          n = n + 1
          wrk.headers["Idempotency-Key"] = run .. "-" .. tid .. "-" .. n
          return wrk.format("POST", nil, nil, '{"data":{"name":"Bench ' .. tid .. '-' .. n .. '","department":"Load"}}')
        end
        """);

    /// <summary>Per client count run with and without a key: throughput and p50 of each, and with/without.</summary>
    public static void Print(IReadOnlyList<LoadBench.RunResult> results)
    {
        foreach (var with in results.Where(r => r.Workload == Workload))
        {
            if (results.FirstOrDefault(r => r.Workload == Without && r.Clients == with.Clients) is not { } without) continue;
            var ratio = with.RequestsPerSecond / without.RequestsPerSecond;
            Console.WriteLine($"Idempotency-Key cost, {with.Clients} clients: {with.RequestsPerSecond:N0} req/s with a key vs " +
                $"{without.RequestsPerSecond:N0} without = {ratio:P0} of the throughput (target >= 90 %); " +
                $"p50 {with.P50Ms:N1} vs {without.P50Ms:N1} ms");
        }
    }
}
