using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Tests.Sync;

/// <summary>
/// The Standalone host with its push worker, an in-process AIMS emulator (rows with ids starting REJ- are dropped after
/// the answer), short retry/wait timings, and (for the Azure Storage provider) its own Azurite.
/// </summary>
public class SyncApp : TestApp
{
    public AimsEmulatorHost Aims { get; private set; } = null!;
    public AzuriteServer? Azurite { get; private set; }
    protected virtual bool UseAzureStorage => false;
    protected virtual bool WorkerEnabled => true;

    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings =>
    [
        new("Aims:MaxRetries", "0"), // every AIMS failure reaches the push engine's own retry policy
        new("Aims:CircuitBreakSeconds", "1"),
        new("Aims:AttemptTimeoutSeconds", "5"),
        new("Sync:RetryBaseDelayMilliseconds", "50"),
        new("Sync:RetryMaxDelaySeconds", "1"),
        new("Sync:AimsDownWaitMilliseconds", "300"),
        new("Sync:LeaseSeconds", "3"),
        new("Sync:SweepIntervalSeconds", "1"),
        new("Sync:MessageRetryBaseMilliseconds", "50"),
        new("Sync:MessageMaxDeliveries", "5"),
        new("Sync:WorkerEnabled", WorkerEnabled ? "true" : "false"),
        new("Queue:Provider", UseAzureStorage ? "AzureStorage" : "Postgres"),
        .. Azurite is { } a ? [new KeyValuePair<string, string>("AzureWebJobsStorage", a.ConnectionString)] : Array.Empty<KeyValuePair<string, string>>(),
    ];

    public override async Task InitializeAsync()
    {
        Aims = await AimsEmulatorHost.StartAsync(options: new EmulatorOptions { RejectArticleIdPattern = "^REJ-" });
        if (UseAzureStorage) Azurite = await AzuriteServer.StartNewAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Aims.DisposeAsync();
        if (Azurite is not null) await Azurite.DisposeAsync();
    }

    /// <summary>A new organization pointed at the emulator.</summary>
    public async Task<TestOrg> CreateSyncedOrgAsync()
    {
        var org = await CreateOrgAsync();
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync("/api/settings", new
        {
            aims = new { baseUrl = Aims.BaseUrl + "common", cluster = "common", company = EmulatorSeed.DefaultCompany, store = EmulatorSeed.DefaultStore,
                         username = EmulatorSeed.DefaultUsername, password = EmulatorSeed.DefaultPassword },
        }), HttpStatusCode.OK);
        return org;
    }

    public ElectisSpace.AimsEmulator.AimsArticle? Article(string articleId) =>
        Aims.State.Article(EmulatorSeed.DefaultCompany, EmulatorSeed.DefaultStore, articleId);

    public ElectisSpace.AimsEmulator.AimsLabel? Label(string code) =>
        Aims.State.Label(EmulatorSeed.DefaultCompany, EmulatorSeed.DefaultStore, code);

    public int ArticlePosts => Aims.Requests.Snapshot().Count(r => r.Method == "POST" && r.Path.EndsWith("/articles", StringComparison.Ordinal));

    /// <summary>Open (pending or processing) outbox rows of the organization.</summary>
    public Task<long> OpenJobsAsync(Guid orgId) =>
        this.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @orgId AND status IN ('pending', 'processing')", new { orgId });

    public async Task<(string Status, int Attempts, string? Error)> JobAsync(Guid orgId, Guid entityId, string action)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        return await conn.QuerySingleAsync<(string, int, string?)>(
            "SELECT status, attempts, last_error FROM sync_queue WHERE org_id = @orgId AND entity_id = @entityId AND action = @action ORDER BY seq DESC LIMIT 1",
            new { orgId, entityId, action });
    }

    public static async Task<JsonElement> GetAsync(HttpClient c, string url) => await HttpAssert.Status(await c.GetAsync(url), HttpStatusCode.OK);

    /// <summary>Polls until the condition holds (fails the test after the timeout).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int timeoutMs = 15_000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail($"Timed out waiting for: {what}");
            await Task.Delay(50);
        }
    }

    public async Task WaitDrainedAsync(Guid orgId, int timeoutMs = 15_000)
    {
        try { await WaitUntilAsync(async () => await OpenJobsAsync(orgId) == 0, "every job of the organization finished", timeoutMs); }
        catch (Xunit.Sdk.XunitException)
        {
            await using var conn = new NpgsqlConnection(ConnectionString);
            var summary = await conn.QueryAsync<(string, long, string?)>(
                "SELECT status, count(*), max(last_error) FROM sync_queue WHERE org_id = @orgId GROUP BY status", new { orgId });
            Assert.Fail("Not drained: " + string.Join("; ", summary.Select(s => $"{s.Item1}={s.Item2} ({s.Item3})")));
        }
    }

    public static Task WaitStatusAsync(HttpClient c, Guid spaceId, string status, int timeoutMs = 15_000) =>
        WaitUntilAsync(async () => (await GetAsync(c, $"/api/spaces/{spaceId}")).GetProperty("syncStatus").GetString() == status,
            $"space {spaceId} {status}", timeoutMs);
}

public sealed class AzureSyncApp : SyncApp
{
    protected override bool UseAzureStorage => true;
}

/// <summary>No in-process worker: tests drive the processor, queues and Functions triggers themselves (with an Azurite).</summary>
public sealed class ManualSyncApp : SyncApp
{
    protected override bool WorkerEnabled => false;
    protected override bool UseAzureStorage => true;
}

/// <summary>No in-process worker, PostgreSQL only.</summary>
public sealed class ManualPostgresSyncApp : SyncApp
{
    protected override bool WorkerEnabled => false;
}
