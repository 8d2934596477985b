using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ElectisSpace.Tests.Infrastructure;

/// <summary>
/// A real Azurite queue service (npm package azurite) on a free loopback port with its data in a temp folder, like the
/// PostgreSQL fixture. CI installs it globally (.ci/run); otherwise it is looked up in the repo's .tools folder and,
/// failing that, installed there with npm (ignored by git). Stop/Start on the same port and folder simulate an outage.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    public const string Version = "3.37.0";
    // Azurite's well-known development account (public, documented by Microsoft; not a secret).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private readonly string _exe;
    private readonly string _dir;
    private Process? _process;

    public int Port { get; }
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};QueueEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    private AzuriteServer(string exe, string dir, int port) { _exe = exe; _dir = dir; Port = port; }

    public static async Task<AzuriteServer> StartNewAsync()
    {
        var exe = await FindOrInstallAsync();
        var dir = Path.Combine(Path.GetTempPath(), $"electis-azurite-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var server = new AzuriteServer(exe, dir, FreePorts.Next());
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        var psi = new ProcessStartInfo(_exe, $"--queueHost 127.0.0.1 --queuePort {Port} --location {_dir} --silent --skipApiVersionCheck --loose --disableTelemetry")
            { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start azurite-queue");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) throw new InvalidOperationException($"azurite-queue exited with {_process.ExitCode}");
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) { await Task.Delay(100); }
        }
        throw new InvalidOperationException("azurite-queue did not start listening within 90 s");
    }

    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } p) return;
        p.Kill(entireProcessTree: true);
        await p.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static async Task<string> FindOrInstallAsync()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, "azurite-queue"))) return Path.Combine(dir, "azurite-queue");
        var tools = Path.Combine(RepoRoot(), ".tools");
        var local = Path.Combine(tools, "node_modules", ".bin", "azurite-queue");
        await InstallGate.WaitAsync();
        try
        {
            if (File.Exists(local)) return local;
            Directory.CreateDirectory(tools);
            var psi = new ProcessStartInfo("npm", $"install --no-audit --no-fund --prefix {tools} azurite@{Version}")
                { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("npm not found: install Node.js, or run npm install -g azurite");
            var err = p.StandardError.ReadToEndAsync();
            await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            if (p.ExitCode != 0 || !File.Exists(local))
                throw new InvalidOperationException($"npm install azurite failed ({p.ExitCode}): {await err}");
            return local;
        }
        finally { InstallGate.Release(); }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ElectisSpace.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("ElectisSpace.sln not found");
    }
}
