namespace ElectisSpace.AimsEmulator;

/// <summary>The emulator on a free local port inside the test process.</summary>
public sealed class AimsEmulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AimsEmulatorHost(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        State = app.Services.GetRequiredService<EmulatorState>();
        Faults = app.Services.GetRequiredService<Faults>();
        Requests = app.Services.GetRequiredService<RequestLog>();
    }

    /// <summary>Host root, e.g. http://127.0.0.1:54321/ — AIMS paths start with /common or /c1/common under it.</summary>
    public Uri BaseUrl { get; }
    public EmulatorState State { get; }
    public Faults Faults { get; }
    public RequestLog Requests { get; }

    public static async Task<AimsEmulatorHost> StartAsync(EmulatorSeed? seed = null, EmulatorOptions? options = null)
    {
        var app = EmulatorApp.Build([], seed ?? EmulatorSeed.CreateDefault(), options ?? new EmulatorOptions(), "http://127.0.0.1:0");
        await app.StartAsync();
        // With port 0 Kestrel reports the port it actually bound.
        var address = app.Urls.First();
        return new AimsEmulatorHost(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>Requests with this method whose path contains <paramref name="pathContains"/>.</summary>
    public int Count(string method, string pathContains) => Requests.Count(method, pathContains);

    /// <summary>Start-up seed again, no faults, no tokens, empty request log.</summary>
    public void Reset()
    {
        State.Reset();
        Faults.Clear();
        Requests.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
