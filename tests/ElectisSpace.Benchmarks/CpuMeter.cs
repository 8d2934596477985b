namespace ElectisSpace.Benchmarks;

/// <summary>
/// Where a run's CPU went: the host, PostgreSQL (its connections' backends, and apart its background: autovacuum,
/// checkpointer, WAL writer, the postmaster and the workers it reaped during the run) and the bench process (the .NET driver,
/// the AIMS emulator, and wrk once it has exited: a reaped child's CPU is added to its parent's cutime/cstime), against
/// the machine's busy time from /proc/stat. Read from /proc before and after a run, so measuring costs nothing during it.
/// A target missed on a saturated machine is explained by these figures (Targets).
/// </summary>
public sealed class CpuMeter(int hostPid, string postgresDataDirectory)
{
    // /proc reports CPU time in USER_HZ ticks, 100 per second on Linux (the kernel's ABI, whatever CONFIG_HZ is).
    private const double MsPerTick = 10;

    /// <summary>PostgresChildren: each of the postmaster's processes with its CPU so far and whether it serves queries;
    /// PostmasterReaped: the CPU of its children that have exited (their whole lives).</summary>
    private sealed record Snapshot(long Host, Dictionary<int, (long Cpu, bool ServesQueries)> PostgresChildren, long PostmasterOwn,
        long PostmasterReaped, long Bench, long MachineBusy, long MachineTotal);

    /// <summary>CPU per request, in milliseconds, by process; MachineBusyPercent of all cores over the run.</summary>
    public sealed record PerRequest(double HostMs, double PostgresMs, double PostgresBackgroundMs, double BenchMs, double OtherMs,
        double MachineBusyPercent, int Cores)
    {
        public double TotalMs => HostMs + PostgresMs + PostgresBackgroundMs + BenchMs + OtherMs;

        /// <summary>The rate the cores could serve at this CPU cost per request, all of it busy.</summary>
        public double CeilingPerSecond => TotalMs > 0 ? Cores * 1000 / TotalMs : double.PositiveInfinity;

        public override string ToString() =>
            $"{TotalMs:N2} ms CPU/req (host {HostMs:N2}, PostgreSQL {PostgresMs:N2} + background {PostgresBackgroundMs:N2}, " +
            $"load generator + emulator {BenchMs:N2}, other {OtherMs:N2}), cores {MachineBusyPercent:N0}% busy";
    }

    /// <summary>Linux's /proc, where the figures come from; elsewhere runs carry no CPU figures.</summary>
    public static bool Available { get; } = File.Exists("/proc/stat");

    /// <summary>Starts measuring; the returned function gives the CPU per request of what ran since.</summary>
    public Func<int, PerRequest?> Start()
    {
        if (!Available) return _ => null;
        var before = Take();
        return requests =>
        {
            var after = Take();
            var n = Math.Max(requests, 1);
            double Per(long ticks) => Math.Round(ticks * MsPerTick / n, 3);
            var (host, bench) = (after.Host - before.Host, after.Bench - before.Bench);
            // A process's CPU counts from what it had at the start; one that exited during the run (an autovacuum worker,
            // a pooled connection closed) left its whole life in the postmaster's reaped time, less what it had then.
            long pg = 0, pgBackground = after.PostmasterOwn - before.PostmasterOwn + after.PostmasterReaped - before.PostmasterReaped;
            foreach (var (pid, now) in after.PostgresChildren)
            {
                var ran = now.Cpu - (before.PostgresChildren.TryGetValue(pid, out var then) ? then.Cpu : 0);
                if (now.ServesQueries) pg += ran;
                else pgBackground += ran;
            }
            foreach (var (pid, then) in before.PostgresChildren)
                if (!after.PostgresChildren.ContainsKey(pid)) pgBackground -= then.Cpu;
            pgBackground = Math.Max(pgBackground, 0);
            var busy = after.MachineBusy - before.MachineBusy;
            var total = Math.Max(after.MachineTotal - before.MachineTotal, 1);
            return new PerRequest(Per(host), Per(pg), Per(pgBackground), Per(bench), Per(Math.Max(busy - host - pg - pgBackground - bench, 0)),
                Math.Round(100.0 * busy / total, 1), Environment.ProcessorCount);
        };
    }

    private Snapshot Take()
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(postgresDataDirectory, "postmaster.pid")).First());
        var children = new Dictionary<int, (long, bool)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out var pid) && pid != postmaster && Stat(pid) is { } s && s.ParentPid == postmaster)
                children[pid] = (s.Own, ServesQueries(pid));
        var pm = Stat(postmaster);
        var self = Stat(Environment.ProcessId);
        var (busy, all) = Machine();
        return new Snapshot(Stat(hostPid)?.Own ?? 0, children, pm?.Own ?? 0, pm?.Children ?? 0,
            (self?.Own ?? 0) + (self?.Children ?? 0), busy, all);
    }

    /// <summary>A connection's backend ("postgres: user db 127.0.0.1(port) idle", or [local]) or a parallel worker of one,
    /// as opposed to autovacuum, checkpointer, WAL writer and the other background processes (PostgreSQL's process titles).</summary>
    private static bool ServesQueries(int pid)
    {
        string title;
        try { title = File.ReadAllText($"/proc/{pid}/cmdline"); }
        catch (IOException) { return true; }
        catch (UnauthorizedAccessException) { return true; }
        return title.Contains("[local]") || title.Contains("parallel worker") || System.Text.RegularExpressions.Regex.IsMatch(title, @"\(\d+\)");
    }

    private sealed record ProcStat(int ParentPid, long Own, long Children);

    /// <summary>/proc/PID/stat's parent and times; null when the process is gone. Fields are counted after the command
    /// name's closing parenthesis, since the name itself may hold spaces.</summary>
    private static ProcStat? Stat(int pid)
    {
        string line;
        try { line = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        var f = line[(line.LastIndexOf(')') + 2)..].Split(' ');
        // f[0] is field 3 (state): ppid is field 4, utime/stime 14/15, cutime/cstime 16/17.
        return new ProcStat(int.Parse(f[1]), long.Parse(f[11]) + long.Parse(f[12]), long.Parse(f[13]) + long.Parse(f[14]));
    }

    /// <summary>All cores' busy and total ticks (the first line of /proc/stat: user nice system idle iowait irq softirq steal ...).</summary>
    private static (long Busy, long Total) Machine()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..9].Select(long.Parse).ToArray();
        var total = f.Sum();
        return (total - f[3] - f[4], total);
    }
}
