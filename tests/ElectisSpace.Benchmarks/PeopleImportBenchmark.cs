using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// Issue target: 10,000 people rows import in under 2 s on this machine. Each iteration imports the file over HTTP
/// into a fresh organization (all inserts: the slow path — POOL ids, outbox rows, audit), or re-imports it into the
/// same one (all updates). The Mean column is the figure to compare with 2 s.
/// </summary>
[Config(typeof(InProcessMonitoringConfig))]
public class PeopleImportBenchmark
{
    [Params(10_000)] public int Rows;

    private BenchmarkServer _server = null!;
    private byte[] _csv = [];
    private HttpClient _fresh = null!;
    private HttpClient _existing = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _server = await BenchmarkServer.StartAsync();
        var sb = new StringBuilder("externalId,name,department,title,email\n");
        for (var i = 1; i <= Rows; i++)
            sb.Append($"E{i:D6},\"Person {i}, Jr.\",Dept {i % 40},Engineer {i % 7},person{i}@example.test\n");
        _csv = Encoding.UTF8.GetBytes(sb.ToString());
        _existing = await _server.NewOrganizationClientAsync();
        await ImportAsync(_existing, expectCreated: Rows);
    }

    [IterationSetup(Target = nameof(Import_into_empty_organization))]
    public void NewOrganization() => _fresh = _server.NewOrganizationClientAsync().GetAwaiter().GetResult();

    [Benchmark(Description = "10k people CSV -> empty organization (inserts)")]
    public Task Import_into_empty_organization() => ImportAsync(_fresh, expectCreated: Rows);

    [Benchmark(Description = "10k people CSV -> same organization again (updates)")]
    public Task Reimport_into_existing_organization() => ImportAsync(_existing, expectCreated: 0);

    private async Task ImportAsync(HttpClient client, int expectCreated)
    {
        var content = new ByteArrayContent(_csv);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var res = await client.PostAsync("/api/people/import", content);
        var body = await res.Content.ReadFromJsonAsync<JsonElement>();
        if (!res.IsSuccessStatusCode || body.GetProperty("created").GetInt32() != expectCreated)
            throw new InvalidOperationException($"import failed: {(int)res.StatusCode} {body}");
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _server.DisposeAsync();
}

/// <summary>
/// One job: in this process (the server and its PostgreSQL live here), each iteration one cold import
/// (Monitoring: an import is a whole operation, not a micro-benchmark), 1 warm-up + 8 measured iterations.
/// </summary>
public sealed class InProcessMonitoringConfig : ManualConfig
{
    public InProcessMonitoringConfig() => AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring)
        .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(8).WithToolchain(InProcessEmitToolchain.Instance));
}
