namespace ElectisSpace.Core.Events;

/// <summary>Live updates (Events:*, see docs/events.md).</summary>
public sealed record EventsOptions
{
    /// <summary>How often an instance's poller reads new events while it has streams (a local commit wakes it at once).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(150);
    /// <summary>
    /// Least time between two polls, however many commits wake the poller: under a stream of writes one poll hands out
    /// the events of many commits, and every stream writes them with one flush, instead of one per commit.
    /// </summary>
    public TimeSpan PollSpacing { get; init; } = TimeSpan.FromMilliseconds(25);
    /// <summary>A comment line on an idle stream, so proxies and clients see it alive.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>How long events are kept for resuming (Last-Event-ID); older ids get a reset event.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>How often open streams' sessions are checked (logout, password change, deactivation end them).</summary>
    public TimeSpan SessionCheck { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>
    /// Events queued for one stream that has not written them yet; beyond it the stream is told it lagged and ends. One
    /// commit can carry a thousand (a push batch's syncStatus events), so the queue holds several such; it holds references
    /// to frames every stream shares, about 80 KB at most.
    /// </summary>
    public int StreamBuffer { get; init; } = 10_000;
    /// <summary>A stream ends itself after this (the client resumes with Last-Event-ID); null: no limit. Azure sets it below the front end's 230 s.</summary>
    public TimeSpan? MaxStreamDuration { get; init; }
    /// <summary>Longest a write to one client may take before that client is cut off.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>A gap in the ids (a transaction that allocated an id has not committed) is waited for at most this long.</summary>
    public TimeSpan GapTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
