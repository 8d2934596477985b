using System.Diagnostics;
using System.Globalization;
using ElectisSpace.Functions;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// Cold start (issue 37): on Flex Consumption a new instance answers its first request only after the worker has started.
/// Functions Core Tools cannot run here, so the Functions app's part is measured as the worker does it, in a new process
/// (nothing loaded or compiled yet): runtime start to Main, the composition root built (FunctionsApp.CreateBuilder(...).Build(),
/// what Program.cs builds), then the first request through the trigger (an authenticated people page of 50: sign-in check,
/// first database connection, the list query). The Functions host's own start and its gRPC handshake with the worker are
/// Azure's, not measured. The Standalone host is measured as a process: start to its first answer, then its first people page.
/// </summary>
public static class ColdStart
{
    public sealed record Figures(string Host, double RuntimeStartMs, double BuildMs, double FirstAnswerMs, double FirstPageMs, double WorkerMs, double ProcessMs)
    {
        public override string ToString() => Host == "Functions"
            ? $"runtime start {RuntimeStartMs:N0} ms + composition root {BuildMs:N0} ms + first people page {FirstPageMs:N0} ms = worker {WorkerMs:N0} ms (process start to answer {ProcessMs:N0} ms)"
            : $"process start to first answer (/api/health) {FirstAnswerMs:N0} ms, then first people page {FirstPageMs:N0} ms: {ProcessMs:N0} ms";
    }

    public const string ChildCommand = "coldstart-functions";
    private const string ResultTag = "COLDSTART";

    /// <summary>The child process: builds the Functions app and answers one request; prints its timings for the parent.</summary>
    public static async Task<int> FunctionsChildAsync(string[] args)
    {
        var runtimeStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
        var sw = Stopwatch.StartNew();
        var token = args[0];
        using var app = FunctionsApp.CreateBuilder(args[1..]).Build();
        var build = sw.Elapsed;
        var answer = await DirectCall.InvokeAsync(app.Services, "GET", "/api/people?limit=50", PeopleFunctions.List, token);
        var first = sw.Elapsed - build;
        if (answer.Status != 200) throw new InvalidOperationException($"the first request answered {answer.Status}: {answer.Body[..Math.Min(300, answer.Body.Length)]}");
        Console.WriteLine(FormattableString.Invariant($"{ResultTag} {runtimeStart.TotalMilliseconds:F1} {build.TotalMilliseconds:F1} {first.TotalMilliseconds:F1}"));
        return 0;
    }

    /// <summary>The Functions app's cold start, in a new process of this bench's own build.</summary>
    public static async Task<Figures> FunctionsAsync(IReadOnlyDictionary<string, string> settings, string token)
    {
        // The Functions app pushes only through its Azure Storage queue (it refuses the Postgres provider); the host is
        // built, not started, and the first request reads, so nothing is sent to that queue.
        var functionsSettings = new Dictionary<string, string>(settings)
        {
            ["Queue:Provider"] = "AzureStorage",
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        };
        var psi = new ProcessStartInfo("dotnet", [typeof(ColdStart).Assembly.Location, ChildCommand, token,
            .. functionsSettings.Select(kv => $"--{kv.Key}={kv.Value}")]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start the cold-start process");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var total = sw.Elapsed.TotalMilliseconds;
        var line = (await stdout).Split('\n').FirstOrDefault(l => l.StartsWith(ResultTag + " ", StringComparison.Ordinal))
                   ?? throw new InvalidOperationException($"the cold-start process printed no result ({p.ExitCode}): {await stdout} {await stderr}");
        var f = line.Split(' ')[1..].Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return new Figures("Functions", Math.Round(f[0]), Math.Round(f[1]), double.NaN, Math.Round(f[2]), Math.Round(f[0] + f[1] + f[2]), Math.Round(total));
    }

    /// <summary>A second Standalone host over the same database: start to first answer, then its first people page.</summary>
    public static async Task<Figures> StandaloneAsync(string connectionString, Uri aimsBaseUrl, string token)
    {
        var sw = Stopwatch.StartNew();
        using var host = await HostProcess.StartAsync(connectionString, aimsBaseUrl, null);
        var health = host.StartToFirstAnswerMs;
        using var client = host.Client(token);
        var t = Stopwatch.StartNew();
        (await client.GetAsync("/api/people?limit=50")).EnsureSuccessStatusCode();
        var page = Math.Round(t.Elapsed.TotalMilliseconds);
        return new Figures("Standalone", double.NaN, double.NaN, health, page, Math.Round(health + page), Math.Round(health + page));
    }
}
