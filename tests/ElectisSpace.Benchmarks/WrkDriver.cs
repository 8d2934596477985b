using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// What wrk sends for a workload: a path, or a Lua request function (which may use the helpers below) for requests that
/// vary. Lua is wrk's own scripting; each wrk thread runs its own copy, told apart by `tid` (set in setup); `run` names the wrk run.
/// </summary>
public sealed record WrkSpec(string Path, string? RequestLua = null)
{
    /// <summary>GET one of these paths at random.</summary>
    public static WrkSpec RandomGet(IEnumerable<string> paths) => Random("GET", paths);

    /// <summary>POST to one of these paths at random, with no body.</summary>
    public static WrkSpec RandomPost(IEnumerable<string> paths) => Random("POST", paths);

    // The requests are formatted once per wrk thread (init), not per request: on 2 cores every cycle the generator spends
    // is taken from the server it measures.
    private static WrkSpec Random(string method, IEnumerable<string> paths) => new("/", $$"""
        local paths = {{{string.Join(",", paths.Select(Lua))}}}
        local requests = {}
        init = function(args)
          for i, path in ipairs(paths) do requests[i] = wrk.format("{{method}}", path) end
        end
        request = function() return requests[math.random(#requests)] end
        """);

    public static string Lua(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

/// <summary>
/// Drives a workload with wrk (Debian's package): a C load generator much lighter than an HttpClient loop, so on a 2-core
/// machine more of the CPU goes to the server being measured. Runs for a duration, not a budget; the percentiles come
/// from wrk's own latency histogram (a `done` hook prints them).
/// </summary>
public static class WrkDriver
{
    public static bool Available { get; } = Which("wrk");

    private static bool Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, program)));

    private const string Report = """

        setup = function(thread)
          threads_seen = (threads_seen or 0) + 1
          thread:set("tid", threads_seen)
        end
        done = function(summary, latency, requests)
          local e = summary.errors
          io.write(string.format("WRK_RESULT %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
            e.connect + e.read + e.write + e.timeout, e.status,
            latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
        end
        """;

    public static Task<LoadBench.RunResult> RunAsync(HostProcess host, string token, string name, WrkSpec spec, int clients, TimeSpan duration) =>
        RunAsync(host.Address, host, token, name, spec, clients, duration);

    /// <summary>A run against any server (the peer the issue compares with): no host process, so no memory figure.</summary>
    public static async Task<LoadBench.RunResult> RunAsync(Uri address, HostProcess? host, string token, string name, WrkSpec spec, int clients,
        TimeSpan duration)
    {
        var script = Path.Combine(Path.GetTempPath(), $"electis-wrk-{Guid.NewGuid():N}.lua");
        var lua = new StringBuilder();
        lua.AppendLine("wrk.headers[\"Authorization\"] = " + WrkSpec.Lua("Bearer " + token));
        lua.AppendLine("wrk.headers[\"Content-Type\"] = \"application/json\"");
        // This run's own name, for requests that must never repeat one of an earlier run (the warm-up, the other client counts).
        lua.AppendLine("run = " + WrkSpec.Lua(Guid.NewGuid().ToString("N")[..8]));
        if (spec.RequestLua is { } r) lua.AppendLine(r);
        lua.AppendLine(Report);
        await File.WriteAllTextAsync(script, lua.ToString());
        try
        {
            var threads = Math.Min(clients, 2);
            var psi = new ProcessStartInfo("wrk", [$"-t{threads}", $"-c{clients}", $"-d{(int)duration.TotalSeconds}s", "--timeout", "30s", "-s", script,
                new Uri(address, spec.Path).AbsoluteUri])
                { RedirectStandardOutput = true, RedirectStandardError = true };
            using var sampler = host?.SampleRss();
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start wrk");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            var line = (await stdout).Split('\n').FirstOrDefault(l => l.StartsWith("WRK_RESULT ", StringComparison.Ordinal))
                       ?? throw new InvalidOperationException($"wrk printed no result: {await stdout} {await stderr}");
            var f = line.Split(' ')[1..].Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            var (requests, micros, socketErrors, statusErrors) = (f[0], f[1], f[2], f[3]);
            double Ms(long us) => Math.Round(us / 1000.0, 2);
            var seconds = micros / 1e6;
            var errors = (int)(socketErrors + statusErrors);
            return new LoadBench.RunResult(name, clients, (int)requests, Math.Round(seconds, 3), Math.Round(requests / seconds, 1),
                Ms(f[4]), Ms(f[5]), Ms(f[6]), Ms(f[7]), errors,
                errors == 0 ? null : $"{statusErrors} non-2xx answers, {socketErrors} socket errors", sampler?.MaxMb ?? 0) { Generator = "wrk" };
        }
        finally
        {
            File.Delete(script);
        }
    }
}
