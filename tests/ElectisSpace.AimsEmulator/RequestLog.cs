using System.Collections.Concurrent;

namespace ElectisSpace.AimsEmulator;

/// <summary>One AIMS request as the emulator saw it. <see cref="Status"/> 0 = connection dropped.</summary>
public sealed record LoggedRequest(
    DateTimeOffset At, string Method, string Path, string Query, int Status, double DurationMs);

/// <summary>Every AIMS request (not the <c>/_emulator</c> ones), oldest first.</summary>
public sealed class RequestLog
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentQueue<LoggedRequest> _entries = new();

    internal void Add(LoggedRequest entry)
    {
        _entries.Enqueue(entry);
        while (_entries.Count > MaxEntries) _entries.TryDequeue(out _);
    }

    public IReadOnlyList<LoggedRequest> Snapshot() => [.. _entries];

    public void Clear() => _entries.Clear();

    /// <summary>Requests with this method whose path contains <paramref name="pathContains"/>,
    /// e.g. ("POST", "/labels/link"); a fragment matches under both roots.</summary>
    public int Count(string method, string pathContains) =>
        _entries.Count(e => string.Equals(e.Method, method, StringComparison.OrdinalIgnoreCase)
                            && e.Path.Contains(pathContains, StringComparison.OrdinalIgnoreCase));

    /// <summary>"METHOD /path" (cluster root removed) → number of calls.</summary>
    public IReadOnlyDictionary<string, int> Counters() =>
        _entries.GroupBy(e => $"{e.Method} {WithoutClusterRoot(e.Path)}").OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());

    private static string WithoutClusterRoot(string path) => path.StartsWith("/c1/", StringComparison.Ordinal) ? path[3..] : path;
}
