using System.Text.Json;
using System.Net;
using System.Net.Http.Json;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Settings;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Sync;

/// <summary>The Standalone host with quick AIMS retries and a short circuit break, so fault tests take seconds.</summary>
public sealed class SyncTestApp : TestApp
{
    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings =>
    [
        new("Aims:MaxRetries", "1"), new("Aims:RetryBaseDelayMilliseconds", "10"), new("Aims:AttemptTimeoutSeconds", "5"),
        new("Aims:CircuitBreakSeconds", "1"),
    ];
}

/// <summary>An organization pointed at its own in-process AIMS emulator, with helpers to act on both sides.</summary>
public sealed class SyncWorld : IAsyncDisposable
{
    public required TestApp App { get; init; }
    public required TestOrg Org { get; init; }
    public required AimsEmulatorHost Aims { get; set; }
    public AimsClient Client => App.Services.GetRequiredService<AimsClient>();
    public AimsConnection Conn => new(Aims.BaseUrl.ToString().TrimEnd('/'), AimsCluster.Common, EmulatorSeed.DefaultCompany,
        EmulatorSeed.DefaultStore, EmulatorSeed.DefaultUsername, EmulatorSeed.DefaultPassword);

    public static async Task<SyncWorld> CreateAsync(TestApp app, string? strategy = null, EmulatorOptions? options = null)
    {
        var aims = await AimsEmulatorHost.StartAsync(null, options);
        var org = await app.CreateOrgAsync();
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync("/api/settings", new
        {
            aims = new { baseUrl = aims.BaseUrl.ToString().TrimEnd('/'), cluster = "common", company = EmulatorSeed.DefaultCompany,
                         store = EmulatorSeed.DefaultStore, username = EmulatorSeed.DefaultUsername, password = EmulatorSeed.DefaultPassword },
            conflictStrategy = strategy ?? "newest-wins",
        }), HttpStatusCode.OK);
        return new SyncWorld { App = app, Org = org, Aims = aims };
    }

    public IReadOnlyList<ElectisSpace.AimsEmulator.AimsArticle> AimsArticles() => Aims.State.Articles(EmulatorSeed.DefaultCompany, EmulatorSeed.DefaultStore);
    public ElectisSpace.AimsEmulator.AimsArticle? AimsArticle(string id) => Aims.State.Article(EmulatorSeed.DefaultCompany, EmulatorSeed.DefaultStore, id);

    /// <summary>Edits an article the way another AIMS tool would: a full replace with new data.</summary>
    public Task EditInAimsAsync(string articleId, Dictionary<string, string> data, string name = "") =>
        Client.UpsertArticlesAsync(Conn, [new Core.Aims.AimsArticle(articleId, name, "", new Dictionary<string, string>(data) { ["ARTICLE_ID"] = articleId })]);

    /// <summary>POST /api/sync/trigger and the job id it answers.</summary>
    public async Task<(Guid JobId, bool AlreadyRunning)> TriggerAsync(string type)
    {
        var body = await HttpAssert.Status(await Org.Admin.PostAsJsonAsync("/api/sync/trigger", new { type }), HttpStatusCode.Accepted);
        return (body.GetProperty("jobId").GetGuid(), body.GetProperty("alreadyRunning").GetBoolean());
    }

    /// <summary>Polls GET /api/sync/jobs/{id} until the job has finished.</summary>
    public async Task<JsonElement> WaitJobAsync(Guid jobId, int seconds = 60)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var job = await HttpAssert.Status(await Org.Admin.GetAsync($"/api/sync/jobs/{jobId}"), HttpStatusCode.OK);
            var status = job.GetProperty("status").GetString();
            if (status is "completed" or "failed") return job;
            if (DateTime.UtcNow > until) throw new TimeoutException($"Sync job {jobId} still {status}.");
            await Task.Delay(100);
        }
    }

    public async Task<JsonElement> FullSyncAsync(int seconds = 60)
    {
        var (id, _) = await TriggerAsync("full");
        var job = await WaitJobAsync(id, seconds);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        return job;
    }

    public async Task<JsonElement> PullAsync()
    {
        var (id, _) = await TriggerAsync("pull");
        return await WaitJobAsync(id);
    }

    public static int Stat(JsonElement job, string name) => job.GetProperty("stats").GetProperty(name).GetInt32();

    public async ValueTask DisposeAsync() => await Aims.DisposeAsync();
}
