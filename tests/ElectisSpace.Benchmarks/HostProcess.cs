using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// The Standalone host as its own process, built in the same configuration as this benchmark (Release with
/// `dotnet run -c Release`), so the load generator's CPU and memory are not counted as the server's.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    public Uri Address { get; }
    public int Pid => _process.Id;

    /// <summary>From starting the process to its first answer (GET /api/health, 200): the host's cold start.</summary>
    public double StartToFirstAnswerMs { get; private set; }

    /// <summary>The host's configuration for the bench (also the Functions app's, ColdStart).</summary>
    public static Dictionary<string, string> Settings(string connectionString, Uri aimsBaseUrl, int? poolSize)
    {
        var settings = new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = connectionString,
            ["Jwt:SigningKey"] = "benchmark-signing-key-that-is-at-least-32-bytes",
            ["Jwt:AccessTokenMinutes"] = "240", // one token outlives a whole run (and a --hold session)
            ["Security:SettingsEncryptionKey"] = Convert.ToBase64String(new byte[32]),
            ["Aims:DefaultBaseUrl"] = aimsBaseUrl.ToString().TrimEnd('/'),
            // Logins are measured, not throttled.
            ["RateLimits:LoginPerMinute"] = "100000",
            ["RateLimits:RefreshPerMinute"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
            // No AIMS pull (nor alive ping) during the runs: the pull timer reads and reconciles all 10,000 articles every
            // 5 minutes (2-4 s of both cores), and whichever workload it overlapped lost up to half its rate (measured: a
            // never-cached page at 100 clients fell from ~960 to 477 req/s for the 4 s slice the pull ran in). The push
            // worker stays on. The pull has its own benchmark (SyncBenchmark).
            ["Sync:TimersEnabled"] = "false",
        };
        if (poolSize is { } n) settings["Database:MaxPoolSize"] = n.ToString();
        return settings;
    }

    private HostProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public static async Task<HostProcess> StartAsync(string connectionString, Uri aimsBaseUrl, int? poolSize)
    {
#if DEBUG
        const string configuration = "Debug";
        Console.WriteLine("warning: a Debug build; run with -c Release for figures worth quoting");
#else
        const string configuration = "Release";
#endif
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ElectisSpace.sln"))) root = root.Parent;
        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("repository root not found"),
            "functions", "ElectisSpace.Standalone", "bin", configuration, "net10.0", "ElectisSpace.Standalone.dll");
        var port = FreePorts.Next();
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["DOTNET_ENVIRONMENT"] = psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in Settings(connectionString, aimsBaseUrl, poolSize)) psi.Environment[key.Replace(":", "__")] = value;
        var started = Stopwatch.StartNew();
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the host");
        process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) Console.WriteLine("  host: " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) Console.WriteLine("  host: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new HostProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var probe = host.Client(null);
        for (var i = 0; ; i++)
        {
            if (process.HasExited) throw new InvalidOperationException($"the host exited with {process.ExitCode}");
            try
            {
                if ((await probe.GetAsync("/api/health")).IsSuccessStatusCode)
                {
                    host.StartToFirstAnswerMs = Math.Round(started.Elapsed.TotalMilliseconds, 1);
                    return host;
                }
            }
            catch (HttpRequestException) when (i < 6000) { }
            await Task.Delay(10); // fine-grained: the wait is the cold-start figure
        }
    }

    public HttpClient Client(string? token, int connections = 1)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
            { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private long StatusKb(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            if (line.StartsWith(field + ":")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return 0;
    }

    public double RssMb() => StatusKb("VmRSS") / 1024.0;
    public double PeakMb() => Math.Round(StatusKb("VmHWM") / 1024.0, 1);

    /// <summary>Samples the host's resident memory every 20 ms until disposed; MaxMb is the highest seen.</summary>
    public RssSampler SampleRss() => new(this);

    public sealed class RssSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private double _max;
        public double MaxMb => Math.Round(Math.Max(_max, 0), 1);

        public RssSampler(HostProcess host)
        {
            _max = host.RssMb();
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    _max = Math.Max(_max, host.RssMb());
                    try { await Task.Delay(20, _stop.Token); } catch (OperationCanceledException) { }
                }
            });
        }

        public void Dispose() => _stop.Cancel();
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
    }
}
