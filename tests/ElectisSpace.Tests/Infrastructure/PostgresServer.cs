using System.Diagnostics;
using ElectisSpace.Core.Database;
using Npgsql;

namespace ElectisSpace.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL for the whole test run: initdb into a temp folder, pg_ctl start on a free port,
/// migrations applied once into a template database, and a fresh database cloned from it per test class.
/// initdb and postgres refuse to run as root, so as root they run as the postgres user.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);
    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>A server of its own, for tests that stop and restart PostgreSQL (the shared one must stay up for the rest).</summary>
    public static Task<PostgresServer> StartDedicatedAsync() => StartAsync(durable: false);

    /// <summary>
    /// A server of its own with PostgreSQL's default, durable settings (fsync, synchronous_commit, full_page_writes on): what
    /// users run, so the benchmark's write figures include the commit's real cost. The tests' servers turn them off for speed.
    /// </summary>
    public static Task<PostgresServer> StartDurableAsync() => StartAsync(durable: true);

    private const string Template = "electis_template";
    private readonly string _dataDir;
    private readonly string _binDir;
    private readonly bool _durable;
    private int _databaseCounter;

    /// <summary>The server's log; each line names its database (log_line_prefix db=%d), so a test can find its own errors.</summary>
    public string LogPath => Path.Combine(Path.GetDirectoryName(_dataDir)!, "postgres.log");

    /// <summary>The cluster's data directory (its postmaster.pid names the server's process: the benchmark counts its CPU).</summary>
    public string DataDirectory => _dataDir;

    /// <summary>The server's binaries (pgbench, psql beside postgres).</summary>
    public string BinDirectory => _binDir;

    /// <summary>Whether commits reach the disk (fsync, synchronous_commit and full_page_writes on), as in production.</summary>
    public bool Durable => _durable;

    public int Port { get; }
    public string Host => "127.0.0.1";

    private PostgresServer(string dataDir, string binDir, int port, bool durable)
    {
        _dataDir = dataDir;
        _binDir = binDir;
        Port = port;
        _durable = durable;
    }

    public string ConnectionString(string database) =>
        $"Host={Host};Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20;Timeout=15";

    /// <summary>A new, migrated, empty database for one test class (cloned from the template: fast).</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t_{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
        await using var conn = new NpgsqlConnection(ConnectionString("postgres"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE {Template}", conn);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    private const string FolderPrefix = "electis-pg-";

    private static Task<PostgresServer> StartAsync() => StartAsync(durable: false);

    private static async Task<PostgresServer> StartAsync(bool durable)
    {
        var binDir = FindBinDir();
        RemoveLeftovers();
        var root = Path.Combine(Path.GetTempPath(), $"{FolderPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        var dataDir = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync("chown", $"-R postgres:postgres {root}");

        await RunPgAsync(asRoot, Path.Combine(binDir, "initdb"), $"-D {dataDir} -U postgres --auth=trust -E UTF8 --no-sync");
        var port = FreePorts.Next();
        var server = new PostgresServer(dataDir, binDir, port, durable);
        await server.StartServerAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopSync();

        await using (var conn = new NpgsqlConnection(server.ConnectionString("postgres")))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {Template}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        await using (var ds = NpgsqlDataSource.Create(server.ConnectionString(Template)))
            await MigrationRunner.RunAsync(ds);
        NpgsqlConnection.ClearAllPools(); // a template must have no open connections when cloned
        return server;
    }

    private Task StartServerAsync()
    {
        var root = Path.GetDirectoryName(_dataDir)!;
        // Test speed: nothing a test checks depends on surviving an OS crash, so commits need not wait for the disk.
        var unsafeFast = _durable ? "" : "-F -c fsync=off -c synchronous_commit=off -c full_page_writes=off ";
        return RunPgAsync(Environment.UserName == "root", Path.Combine(_binDir, "pg_ctl"),
            $"-D {_dataDir} -l {LogPath} -w -t 60 start " +
            $"-o \"{unsafeFast}-p {Port} -h 127.0.0.1 -k {root} -c max_connections=300 -c log_line_prefix='%m [%p] db=%d '\"");
    }

    /// <summary>Stops the server as an operator would (fast shutdown: sessions are terminated with 57P01).</summary>
    public Task StopServerAsync() =>
        RunPgAsync(Environment.UserName == "root", Path.Combine(_binDir, "pg_ctl"), $"-D {_dataDir} -m fast -w -t 60 stop");

    /// <summary>Starts it again after <see cref="StopServerAsync"/>, on the same port and data.</summary>
    public Task RestartServerAsync() => StartServerAsync();

    /// <summary>
    /// Removes the folders (and stops the servers) of earlier runs whose process is gone: a run that was killed, or whose
    /// exit handler ran out of time (the test host is ended soon after the last test), leaves them behind, hundreds of MB
    /// each. The folder name carries the owning process id.
    /// </summary>
    private static void RemoveLeftovers()
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var owner = Path.GetFileName(dir)[FolderPrefix.Length..].Split('-')[0];
            if (!int.TryParse(owner, out var pid) || Directory.Exists($"/proc/{pid}")) continue;
            try
            {
                // A server outliving its run (its owner was killed) still holds the folder: stop it first.
                var pidFile = Path.Combine(dir, "data", "postmaster.pid");
                if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var serverPid))
                    try { Process.GetProcessById(serverPid).Kill(); } catch (ArgumentException) { }
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Someone else's or still in use: left alone.
            }
        }
    }

    private void StopSync()
    {
        try
        {
            var asRoot = Environment.UserName == "root";
            var pgctl = Path.Combine(_binDir, "pg_ctl");
            var psi = asRoot
                ? new ProcessStartInfo("runuser", $"-u postgres -- {pgctl} -D {_dataDir} -m immediate stop")
                : new ProcessStartInfo(pgctl, $"-D {_dataDir} -m immediate stop");
            psi.RedirectStandardOutput = psi.RedirectStandardError = true;
            Process.Start(psi)?.WaitForExit(10_000);
            Directory.Delete(Path.GetDirectoryName(_dataDir)!, recursive: true);
        }
        catch
        {
            // Best effort at process exit: a leftover temp folder is harmless.
        }
    }

    public ValueTask DisposeAsync()
    {
        StopSync();
        return ValueTask.CompletedTask;
    }

    public static string FindBinDir()
    {
        var fromEnv = Environment.GetEnvironmentVariable("PG_BIN");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(Path.Combine(fromEnv, "initdb"))) return fromEnv;
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d).Select(d => Path.Combine(d, "bin"))
            : [];
        foreach (var dir in candidates.Append("/usr/local/pgsql/bin").Append("/usr/bin"))
            if (File.Exists(Path.Combine(dir, "initdb"))) return dir;
        throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package or set PG_BIN.");
    }

    private static Task RunPgAsync(bool asRoot, string exe, string args) =>
        asRoot ? RunAsync("runuser", $"-u postgres -- {exe} {args}") : RunAsync(exe, args);

    private static async Task RunAsync(string exe, string args)
    {
        var psi = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {exe}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{exe} {args} failed ({p.ExitCode}): {await stdout} {await stderr}");
    }
}
