namespace ElectisSpace.AimsEmulator;

public enum FaultKind
{
    /// <summary>Answer with <see cref="FaultRule.Status"/> and an AIMS error body (429 adds Retry-After).</summary>
    Status,
    /// <summary>Wait <see cref="FaultRule.Delay"/>, then answer normally (exceed a client timeout with it).</summary>
    Delay,
    /// <summary>Abort the connection without an answer.</summary>
    Drop,
    /// <summary>200 with a truncated JSON body.</summary>
    MalformedJson,
    /// <summary>Hold the request (<see cref="FaultRule.Reached"/> set) until <see cref="FaultRule.Release"/>, then answer normally.</summary>
    Hold,
}

/// <summary>One injected fault. It applies to requests whose path contains <see cref="RouteContains"/>
/// ("" or "*" = any AIMS route; <c>/_emulator</c> routes are never faulted).</summary>
public sealed class FaultRule
{
    public string RouteContains { get; init; } = "";
    /// <summary>HTTP method to match; null = any.</summary>
    public string? Method { get; init; }
    public FaultKind Kind { get; init; } = FaultKind.Status;
    public int Status { get; init; } = 500;
    public string? Message { get; init; }
    public TimeSpan? RetryAfter { get; init; }
    public TimeSpan Delay { get; init; }
    /// <summary>How many more requests it applies to; int.MaxValue = until cleared.</summary>
    public int Remaining { get; set; } = 1;
    /// <summary>Chance (0..1] that a matching request is hit; a miss does not use up <see cref="Remaining"/>.</summary>
    public double Probability { get; init; } = 1;
    /// <summary><see cref="FaultKind.Hold"/>: completed when a request is held; the held request goes on when Release completes.</summary>
    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal bool Matches(string method, string path) =>
        (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && (RouteContains is "" or "*" || path.Contains(RouteContains, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Fault injection, used from test code or over <c>/_emulator/faults</c>.</summary>
public sealed class Faults(EmulatorState state)
{
    private readonly Lock _gate = new();
    private readonly List<FaultRule> _rules = [];

    public void Add(FaultRule rule)
    {
        lock (_gate) _rules.Add(rule);
    }

    /// <summary>The next <paramref name="count"/> matching calls answer <paramref name="status"/>
    /// (429 with a Retry-After header when <paramref name="retryAfter"/> is given; 403 defaults to LICENSE_EXPIRED).</summary>
    public void FailNext(string routeContains, int count, int status, TimeSpan? retryAfter = null, string? message = null) =>
        Add(new FaultRule { RouteContains = routeContains, Remaining = count, Status = status, RetryAfter = retryAfter, Message = message });

    /// <summary>Each matching call fails with <paramref name="status"/> with the given probability, until cleared.</summary>
    public void FailRandomly(string routeContains, double probability, int status) =>
        Add(new FaultRule { RouteContains = routeContains, Remaining = int.MaxValue, Status = status, Probability = probability });

    public void Delay(string routeContains, TimeSpan delay, int count = 1) =>
        Add(new FaultRule { RouteContains = routeContains, Kind = FaultKind.Delay, Delay = delay, Remaining = count });

    /// <summary>Holds the next matching request until the returned rule's Release completes (a test changes things meanwhile).</summary>
    public FaultRule HoldNext(string routeContains, string? method = null)
    {
        var rule = new FaultRule { RouteContains = routeContains, Method = method, Kind = FaultKind.Hold, Remaining = 1 };
        Add(rule);
        return rule;
    }

    public void DropNext(string routeContains, int count = 1) =>
        Add(new FaultRule { RouteContains = routeContains, Kind = FaultKind.Drop, Remaining = count });

    public void MalformedNext(string routeContains, int count = 1) =>
        Add(new FaultRule { RouteContains = routeContains, Kind = FaultKind.MalformedJson, Remaining = count });

    /// <summary>Forces 401 TOKEN_EXPIRED on the next call of every holder of a token.</summary>
    public void ExpireAllTokens() => state.ExpireAllTokens();

    public void Clear()
    {
        lock (_gate) _rules.Clear();
    }

    public IReadOnlyList<FaultRule> Active
    {
        get { lock (_gate) return [.. _rules]; }
    }

    /// <summary>The rule to apply to this request, if any; uses up one of its <see cref="FaultRule.Remaining"/>.</summary>
    internal FaultRule? Take(string method, string path)
    {
        lock (_gate)
        {
            var rule = _rules.FirstOrDefault(r => r.Matches(method, path));
            if (rule is null || (rule.Probability < 1 && Random.Shared.NextDouble() >= rule.Probability)) return null;
            if (rule.Remaining != int.MaxValue && --rule.Remaining <= 0) _rules.Remove(rule);
            return rule;
        }
    }
}
