using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Events;

/// <summary>One event as written to a stream: the Server-Sent Events frame, encoded once for every stream it goes to.</summary>
public sealed record EventFrame(long Id, Guid OrgId, string Type, ReadOnlyMemory<byte> Bytes)
{
    public static EventFrame Of(long id, Guid orgId, string type, string data) =>
        new(id, orgId, type, Encoding.UTF8.GetBytes($"id: {id}\nevent: {type}\ndata: {data}\n\n"));
}

/// <summary>
/// The fan-out of one host instance: ONE poller reads new rows of the events table by id (every PollInterval while any
/// stream is open, and at once after a commit of this process, <see cref="EventCommits"/>) and hands each to the open
/// streams of its organization. Another instance's commits arrive with the next poll. No LISTEN/NOTIFY: NOTIFY at commit
/// serializes the database's commits (migration 0015), and polling costs one indexed range read per instance per interval,
/// however many streams and writes there are.
/// <para>
/// Ids come from an identity, so a transaction that took id n may commit after one that took n+1. The poller hands out
/// ids in order and stops at a gap until the gap is settled: every transaction that was running when the gap was first
/// seen has ended (the snapshot's xmin has passed the xmax of the snapshot that saw the gap: a writer of events has
/// written its change, and so has its transaction id, before it takes an event id), or GapTimeout passed. So a
/// client resuming after id n never misses an event below n.
/// </para>
/// </summary>
public sealed class EventHub(Db db, ServerSettings settings, EventCommits commits, ILogger<EventHub> log) : IAsyncDisposable
{
    private readonly EventsOptions _o = settings.Events;
    private readonly object _gate = new();
    private readonly Dictionary<Guid, List<EventSubscriber>> _byOrg = [];
    private readonly CancellationTokenSource _stop = new();
    private long _delivered = -1; // highest id handed out in order; -1 while no stream is open (read again at the next one)
    private int _streams;
    private Task? _loop;
    private (long Xmax, DateTime Since)? _gap;
    private DateTime _nextSessionCheck;
    private long _lastPoll;

    /// <summary>Streams open on this instance.</summary>
    public int Streams => Volatile.Read(ref _streams);

    /// <summary>
    /// Opens a stream for the user: returns it with the events after <paramref name="lastEventId"/> still kept (resume), or
    /// with a reset event when they may not all be kept any more.
    /// </summary>
    public async Task<EventSubscriber> SubscribeAsync(CurrentUser user, long? lastEventId, CancellationToken ct)
    {
        EnsureStarted();
        // Where a first stream joins: the newest event now (nothing before it is handed out by the poller).
        var newest = await db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT coalesce(max(id), 0) FROM events"), ct);
        var subscriber = new EventSubscriber(user, _o.StreamBuffer);
        long position;
        lock (_gate)
        {
            if (_delivered < 0) _delivered = newest;
            position = _delivered;
            subscriber.SkipThrough(position);
            if (!_byOrg.TryGetValue(user.OrgId, out var list)) _byOrg[user.OrgId] = list = [];
            list.Add(subscriber);
            _streams++;
        }
        commits.Set(); // the poller reads while streams are open
        if (lastEventId is not { } after) return subscriber;
        try
        {
            var (horizon, last) = await db.ReadAsync(c => c.QuerySingleAsync<(long, long)>("""
                SELECT (SELECT purged_through FROM events_horizon), coalesce((SELECT max(id) FROM events), 0)
                """), ct);
            if (after < horizon || after > Math.Max(last, position))
            {
                subscriber.Reset = EventFrame.Of(position, user.OrgId, "reset", Json.Serialize(new
                {
                    reason = after < horizon ? "The events after this id are no longer kept: reload." : "This event id is unknown: reload.",
                }));
                return subscriber;
            }
            // The client has seen events this instance has not handed out yet (it was on another instance): skip those.
            if (after > position) subscriber.SkipThrough(after);
            // Events handed out before this stream joined come from the table; later ones from the poller.
            var backlog = (await db.ReadAsync(c => c.QueryAsync<Row>("""
                SELECT id, org_id, type, data::text AS data FROM events WHERE org_id = @orgId AND id > @after AND id <= @position ORDER BY id LIMIT @limit
                """, new { orgId = user.OrgId, after, position, limit = MaxReplay + 1 }), ct)).ToList();
            if (backlog.Count > MaxReplay)
                subscriber.Reset = EventFrame.Of(position, user.OrgId, "reset", Json.Serialize(new { reason = "Too many events to replay: reload." }));
            else subscriber.Backlog = backlog.Select(r => r.ToFrame()).ToList();
            return subscriber;
        }
        catch
        {
            Unsubscribe(subscriber);
            throw;
        }
    }

    public void Unsubscribe(EventSubscriber subscriber)
    {
        lock (_gate)
        {
            if (!_byOrg.TryGetValue(subscriber.User.OrgId, out var list) || !list.Remove(subscriber)) return;
            if (list.Count == 0) _byOrg.Remove(subscriber.User.OrgId);
            if (--_streams == 0) _delivered = -1;
        }
        subscriber.End(EndReason.Closed);
    }

    private void EnsureStarted()
    {
        lock (_gate) _loop ??= Task.Run(() => LoopAsync(_stop.Token));
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await commits.WaitAsync(_o.PollInterval, ct);
                if (Streams == 0) continue;
                var sincePoll = Stopwatch.GetElapsedTime(_lastPoll);
                if (sincePoll < _o.PollSpacing) await Task.Delay(_o.PollSpacing - sincePoll, ct);
                _lastPoll = Stopwatch.GetTimestamp();
                var more = await PollAsync(ct);
                if (DateTime.UtcNow >= _nextSessionCheck)
                {
                    _nextSessionCheck = DateTime.UtcNow + _o.SessionCheck;
                    await CheckSessionsAsync(ct);
                }
                if (more) commits.Set(); // a full page or a gap: read again soon rather than after a whole interval
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Event poll failed; retrying");
                try { await Task.Delay(_o.PollInterval, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private const int PageSize = 2000;

    /// <summary>Most events a resuming stream replays from the table; a client further behind reloads (reset).</summary>
    private const int MaxReplay = 5000;

    /// <summary>Reads and hands out the events after the last one handed out; true when there may be more to read soon.</summary>
    private async Task<bool> PollAsync(CancellationToken ct)
    {
        long after;
        lock (_gate) after = _delivered;
        if (after < 0) return false;
        // One statement, one snapshot: the rows and the snapshot's xmin/xmax are read together.
        var rows = (await db.ReadAsync(c => c.QueryAsync<PollRow>("""
            SELECT s.xmin, s.xmax, e.id, e.org_id, e.type, e.data
            FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin,
                         pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax) s
            LEFT JOIN LATERAL (SELECT id, org_id, type, data::text AS data FROM events WHERE id > @after ORDER BY id LIMIT @limit) e ON true
            """, new { after, limit = PageSize }), ct)).ToList();
        var snapshot = rows[0];
        var handed = 0;
        var stoppedAtGap = false;
        lock (_gate)
        {
            if (_delivered != after) return true; // every stream closed meanwhile and the position was dropped
            foreach (var r in rows)
            {
                if (r.Id is not { } id) break;
                if (id != _delivered + 1)
                {
                    var now = DateTime.UtcNow;
                    if (_gap is not { } g) { _gap = (snapshot.Xmax, now); stoppedAtGap = true; break; }
                    if (snapshot.Xmin < g.Xmax && now - g.Since < _o.GapTimeout) { stoppedAtGap = true; break; }
                }
                _gap = null;
                _delivered = id;
                var frame = EventFrame.Of(id, r.OrgId!.Value, r.Type!, r.Data!);
                if (_byOrg.TryGetValue(frame.OrgId, out var list))
                    foreach (var s in list) s.Offer(frame);
                handed++;
            }
        }
        if (stoppedAtGap) await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(20, _o.PollInterval.TotalMilliseconds)), ct);
        return stoppedAtGap || rows.Count == PageSize;
    }

    /// <summary>Ends the streams whose session has ended (logout, password change, reused refresh token, deactivation): one query for all.</summary>
    private async Task CheckSessionsAsync(CancellationToken ct)
    {
        List<EventSubscriber> open;
        lock (_gate) open = _byOrg.Values.SelectMany(l => l).ToList();
        if (open.Count == 0) return;
        var sessions = open.Select(s => (s.User.UserId, s.User.OrgId, s.User.SessionId)).Distinct().ToList();
        var live = (await db.ReadAsync(c => c.QueryAsync<Guid>("""
            SELECT s.session_id FROM unnest(@users, @orgs, @sessions) AS s(user_id, org_id, session_id)
            JOIN users u ON u.id = s.user_id AND u.org_id = s.org_id AND u.is_active
            WHERE EXISTS (SELECT 1 FROM refresh_tokens t
                          WHERE t.family_id = s.session_id AND t.org_id = u.org_id AND t.user_id = u.id AND t.revoked_at IS NULL)
            """, new
        {
            users = sessions.Select(s => s.UserId).ToArray(), orgs = sessions.Select(s => s.OrgId).ToArray(),
            sessions = sessions.Select(s => s.SessionId).ToArray(),
        }), ct)).ToHashSet();
        foreach (var s in open.Where(s => !live.Contains(s.User.SessionId))) s.End(EndReason.SessionEnded);
    }

    /// <summary>The retention purge (the sweeper's timer): events older than the window, and expired tickets.</summary>
    public static Task<int> PurgeAsync(NpgsqlConnection c, TimeSpan retention) => c.ExecuteAsync("""
        WITH gone AS (
            -- ids follow time closely, so the first id still inside the window bounds the old ones: a walk of the primary
            -- key over the rows being deleted, no index on created_at for every write to keep.
            DELETE FROM events WHERE id < coalesce((SELECT id FROM events WHERE created_at >= now() - @retention ORDER BY id LIMIT 1),
                                                   (SELECT max(id) + 1 FROM events))
            RETURNING id)
        UPDATE events_horizon SET purged_through = greatest(purged_through, (SELECT max(id) FROM gone)) WHERE EXISTS (SELECT 1 FROM gone);
        DELETE FROM event_tickets WHERE expires_at < now() - interval '1 minute';
        """, new { retention });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private sealed class Row
    {
        public long Id { get; set; } public Guid OrgId { get; set; } public string Type { get; set; } = ""; public string Data { get; set; } = "";
        public EventFrame ToFrame() => EventFrame.Of(Id, OrgId, Type, Data);
    }

    private sealed class PollRow
    {
        public long Xmin { get; set; } public long Xmax { get; set; }
        public long? Id { get; set; } public Guid? OrgId { get; set; } public string? Type { get; set; } public string? Data { get; set; }
    }
}

public enum EndReason { Closed, Lagged, SessionEnded }

/// <summary>One open stream: a bounded queue of frames the stream writes; full, it ends (the client is told and resumes).</summary>
public sealed class EventSubscriber(CurrentUser user, int capacity)
{
    private readonly Channel<EventFrame> _frames = Channel.CreateBounded<EventFrame>(new BoundedChannelOptions(capacity)
        { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private long _skipThrough = -1;
    private int _ended = -1;

    public CurrentUser User => user;
    public ChannelReader<EventFrame> Frames => _frames.Reader;
    /// <summary>Events kept in the table between the client's Last-Event-ID and where this stream joined the poller.</summary>
    public IReadOnlyList<EventFrame> Backlog { get; set; } = [];
    /// <summary>Set when the client must reload (its Last-Event-ID is older than the kept events, or unknown).</summary>
    public EventFrame? Reset { get; set; }
    public EndReason? Ended => Volatile.Read(ref _ended) is var e and >= 0 ? (EndReason)e : null;

    internal void SkipThrough(long id) => _skipThrough = id;

    /// <summary>Called under the hub's lock, in id order.</summary>
    internal void Offer(EventFrame frame)
    {
        if (frame.Id <= _skipThrough) return;
        if (!_frames.Writer.TryWrite(frame)) End(EndReason.Lagged);
    }

    public void End(EndReason reason)
    {
        if (Interlocked.CompareExchange(ref _ended, (int)reason, -1) == -1) _frames.Writer.TryComplete();
    }
}
