using ElectisSpace.Core.Events;
using System.Collections.Concurrent;
using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Settings;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>A claimed outbox row.</summary>
public sealed class PushJob
{
    public Guid Id { get; init; }
    public Guid OrgId { get; init; }
    public string EntityType { get; init; } = "";
    public Guid EntityId { get; init; }
    public string Action { get; init; } = "";
    public string Payload { get; init; } = "{}";
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; }
    public string AimsKey { get; init; } = "";
    public long Seq { get; init; }
    /// <summary>This claim's fence: result writes apply only while the row still carries it.</summary>
    public Guid ClaimToken { get; init; }

    public string? PayloadString(string name) =>
        JsonDocument.Parse(Payload).RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    public int? PayloadInt(string name) =>
        JsonDocument.Parse(Payload).RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
}

/// <summary>What happened to one job.</summary>
public abstract record PushOutcome
{
    /// <summary>AIMS has it; the entity becomes synced if it is still at Version.</summary>
    public sealed record Done(int? Version) : PushOutcome;
    /// <summary>AIMS accepted the batch but dropped the row (validation log): entity error with the reason; not retried.</summary>
    public sealed record Rejected(string Reason, int? Version) : PushOutcome;
    /// <summary>Try again later; Counts = whether an attempt is spent (not while AIMS is down).</summary>
    public sealed record Retry(string Error, bool Counts, TimeSpan? After) : PushOutcome;
    /// <summary>Permanent: dead letter, entity failed.</summary>
    public sealed record Dead(string Error) : PushOutcome;
}

/// <summary>
/// THE push processor (both hosts, every trigger): claims an organization's due jobs (one per AIMS key and per entity, in
/// seq order, FOR UPDATE SKIP LOCKED with a lease), coalesces repeated upserts of an entity into one, reads the entities'
/// current state, does the AIMS work through <see cref="AimsClient"/> and <see cref="ArticleMapper"/> (articles in POSTs of
/// up to 500, then the batch's validation log), and records each outcome with the retry policy.
/// </summary>
public sealed class PushProcessor(Db db, AimsClient aims, AimsConnections connections, IAimsAvailability availability,
    IPushQueue queue, ServerSettings settings, TimeProvider time, ILogger<PushProcessor> log)
{
    /// <summary>Jobs claimed per round: two full article POSTs.</summary>
    public const int ClaimLimit = 1000;
    private const int MaxRounds = 100;
    private readonly SyncOptions _o = settings.Sync;
    private readonly ConcurrentDictionary<string, (AimsArticleFormat Format, DateTimeOffset At)> _formats = new();

    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _running = new();

    /// <summary>
    /// Processes the organization's due jobs until none is left (or only waiting ones). Returns jobs handled. One run per
    /// organization at a time in this process (another caller waits for it, then finds what is left): a full sync's
    /// batches each await the outbox, and twenty runs at once, each recording up to a thousand results, kept two cores
    /// so busy that result statements outlasted the command timeout (measured). Other instances still run beside it.
    /// </summary>
    public async Task<int> ProcessOrganizationAsync(Guid orgId, CancellationToken ct = default)
    {
        var gate = _running.GetOrAdd(orgId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try { return await ProcessOrganizationExclusiveAsync(orgId, ct); }
        finally { gate.Release(); }
    }

    private async Task<int> ProcessOrganizationExclusiveAsync(Guid orgId, CancellationToken ct)
    {
        var total = 0;
        for (var round = 0; round < MaxRounds; round++)
        {
            var jobs = await ClaimAsync(orgId, ct);
            if (jobs.Count == 0) break;
            Dictionary<Guid, PushOutcome> outcomes;
            try
            {
                await using (var lease = PushClaimLease.Hold(db, jobs, _o.Lease, log, ct))
                    outcomes = await ExecuteAsync(orgId, jobs, lease.Token);
                await RecordAsync(orgId, jobs, outcomes, ct);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // The claim's lease could not be kept (taken over, or the database unreachable for most of it): its AIMS
                // work stopped before another worker may claim the jobs. What is still ours goes back; no delivery failed.
                log.LogWarning("Push of {Count} jobs for organization {OrgId} stopped: its claim's lease could not be kept", jobs.Count, orgId);
                try { await GiveBackAsync(jobs); } catch (Exception e) { log.LogWarning(e, "Giving back push jobs failed; their lease lapses"); }
                return total;
            }
            catch
            {
                // Not an AIMS answer (a bug, bad data, the database): give the jobs back at once so the message's next
                // delivery meets the same failure, and the queue's dequeue count (then the poison queue) decides.
                await GiveBackAsync(jobs);
                throw;
            }
            total += jobs.Count;
            if (outcomes.Values.Any(o => o is PushOutcome.Retry { Counts: false })) break; // AIMS is down: stop here
        }
        return total;
    }

    /// <summary>Makes this claim's jobs pending again at once (fenced: a job another claim holds is left alone).</summary>
    private Task GiveBackAsync(List<PushJob> jobs) => db.ReadAsync(c => c.ExecuteAsync("""
        UPDATE sync_queue q SET status = 'pending', locked_until = NULL
        FROM unnest(@ids, @tokens) AS d(id, token) WHERE q.id = d.id AND q.claim_token = d.token AND q.status = 'processing'
        """, new { ids = jobs.Select(j => j.Id).ToArray(), tokens = jobs.Select(j => j.ClaimToken).ToArray() }), CancellationToken.None);

    // ---- claim -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Open jobs the claim ranks at most, oldest first. Ranking sorts what it reads twice (by AIMS key, by entity), so
    /// reading every open job made each claim cost the whole backlog: 745 ms and sorts spilled to disk at 170,000 open
    /// jobs (measured). The oldest jobs decide the heads exactly (every job older than one in the window is in the
    /// window), so nothing is claimed out of order; when the window yields less than a full claim and more jobs are open
    /// behind it (its heads are waiting for a retry), the rest is ranked too, so they never wait on the window.
    /// </summary>
    public const int ClaimWindow = 10 * ClaimLimit;

    private Task<List<PushJob>> ClaimAsync(Guid orgId, CancellationToken ct) => db.InTransactionAsync(async (c, tx) =>
    {
        var jobs = await ClaimHeadsAsync(c, tx, orgId, ClaimLimit, ClaimWindow);
        if (jobs.Count < ClaimLimit && await c.ExecuteScalarAsync<bool>("""
                SELECT EXISTS (SELECT 1 FROM sync_queue WHERE org_id = @orgId AND status IN ('pending', 'processing')
                               ORDER BY seq OFFSET @window LIMIT 1)
                """, new { orgId, window = ClaimWindow }, tx))
            jobs = [.. jobs.Concat(await ClaimHeadsAsync(c, tx, orgId, ClaimLimit - jobs.Count, window: null)).OrderBy(j => j.Seq)];

        // Coalesce: later upserts of a claimed entity are covered by this push (it reads the entity after this commit).
        var upserts = jobs.Where(j => j.Action == SyncJobs.UpsertArticle).ToList();
        if (upserts.Count > 0)
            await c.ExecuteAsync("""
                UPDATE sync_queue q SET status = 'completed', coalesced_into = h.id, processed_at = now(), msg_visible_at = NULL
                FROM unnest(@ids, @types, @entities, @seqs) AS h(id, entity_type, entity_id, seq)
                WHERE q.org_id = @orgId AND q.status = 'pending' AND q.action = 'upsert_article'
                  AND q.entity_type = h.entity_type AND q.entity_id = h.entity_id AND q.seq > h.seq
                """, new { orgId, ids = upserts.Select(j => j.Id).ToArray(), types = upserts.Select(j => j.EntityType).ToArray(),
                           entities = upserts.Select(j => j.EntityId).ToArray(), seqs = upserts.Select(j => j.Seq).ToArray() }, tx);
        return jobs;
    }, ct);

    /// <summary>Claims up to limit heads among the oldest window open jobs (window null: all of them), in seq order.</summary>
    private async Task<List<PushJob>> ClaimHeadsAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, int limit, int? window) =>
        (await c.QueryAsync<PushJob>("""
            WITH heads AS (
                SELECT id FROM (
                    SELECT id, seq, status, scheduled_at, locked_until,
                           min(seq) OVER (PARTITION BY aims_key) AS key_head,
                           min(seq) OVER (PARTITION BY entity_type, entity_id) AS entity_head
                    FROM (SELECT id, seq, status, scheduled_at, locked_until, aims_key, entity_type, entity_id
                          FROM sync_queue WHERE org_id = @orgId AND status IN ('pending', 'processing')
                          ORDER BY seq LIMIT @window) w) o
                WHERE seq = key_head AND seq = entity_head
                  AND (status = 'pending' AND scheduled_at <= now() OR status = 'processing' AND locked_until < now())
                ORDER BY seq LIMIT @limit
            ), locked AS (
                -- ANY(ARRAY(...)), not a join: with the table's statistics behind its churn (measured under a write storm),
                -- the planner joined the heads by a nested loop, comparing every head with every other (quadratic).
                SELECT q.id FROM sync_queue q
                WHERE q.id = ANY(ARRAY(SELECT id FROM heads))
                  AND (q.status = 'pending' AND q.scheduled_at <= now() OR q.status = 'processing' AND q.locked_until < now())
                FOR UPDATE OF q SKIP LOCKED
            )
            UPDATE sync_queue q SET status = 'processing', locked_until = now() + @lease, dispatched_at = coalesce(q.dispatched_at, now()),
                   claim_token = gen_random_uuid()
            FROM locked l WHERE q.id = l.id
            RETURNING q.id, q.org_id, q.entity_type, q.entity_id, q.action, q.payload::text AS payload, q.attempts, q.max_attempts,
                      q.aims_key, q.seq, q.claim_token
            """, new { orgId, limit, window, lease = _o.Lease }, tx)).OrderBy(j => j.Seq).ToList();

    // ---- execute ---------------------------------------------------------------------------------------------

    private async Task<Dictionary<Guid, PushOutcome>> ExecuteAsync(Guid orgId, List<PushJob> jobs, CancellationToken ct)
    {
        var outcomes = new Dictionary<Guid, PushOutcome>();
        void All(IEnumerable<PushJob> js, PushOutcome o) { foreach (var j in js) outcomes[j.Id] = o; }

        var conn = await connections.ForOrganizationAsync(orgId, ct);
        if (conn is null)
        {
            All(jobs, new PushOutcome.Retry("AIMS is not configured for this organization.", Counts: false, _o.AimsDownWait));
            return outcomes;
        }
        if (availability.DownFor(conn) is { } wait)
        {
            // Look again after at most AimsDownWait: a pause set by the alive monitor lasts until it sees AIMS up,
            // and the jobs should notice that soon after, not when the longest possible pause ends.
            All(jobs, new PushOutcome.Retry("AIMS is down; waiting for it to return.", Counts: false, wait < _o.AimsDownWait ? wait : _o.AimsDownWait));
            return outcomes;
        }

        var versions = await ReadVersionsAsync(orgId, jobs, ct);
        try
        {
            var upserts = jobs.Where(j => j.Action == SyncJobs.UpsertArticle).ToList();
            if (upserts.Count > 0) await UpsertAsync(orgId, conn, upserts, versions, outcomes, ct);

            var deletes = jobs.Where(j => j.Action == SyncJobs.DeleteArticle).ToList();
            var ids = deletes.Select(j => j.PayloadString("articleId")).OfType<string>().Distinct().ToList();
            await Guarded(conn, deletes, outcomes, versions, () => ids.Count > 0 ? aims.DeleteArticlesAsync(conn, ids, ct) : Task.CompletedTask);

            foreach (var j in jobs.Where(j => j.Action is SyncJobs.LinkLabel or SyncJobs.UnlinkLabel or SyncJobs.FlipPage))
                await Guarded(conn, [j], outcomes, versions, () => LabelAsync(conn, j, ct));
        }
        catch (AimsDownException)
        {
            // Everything not finished waits for AIMS, attempts untouched.
        }
        foreach (var j in jobs.Where(j => !outcomes.ContainsKey(j.Id)))
            outcomes[j.Id] = new PushOutcome.Retry("AIMS is down; waiting for it to return.", Counts: false, _o.AimsDownWait);
        return outcomes;
    }

    private sealed class AimsDownException : Exception;

    /// <summary>Runs one AIMS call for a group; classifies a failure onto every job of the group.</summary>
    private async Task Guarded(AimsConnection conn, IReadOnlyList<PushJob> group, Dictionary<Guid, PushOutcome> outcomes,
        IReadOnlyDictionary<(string, Guid), int> versions, Func<Task> call)
    {
        if (group.Count == 0) return;
        try
        {
            await call();
            availability.ReportUp(conn);
            foreach (var j in group) outcomes.TryAdd(j.Id, new PushOutcome.Done(versions.TryGetValue((j.EntityType, j.EntityId), out var v) ? v : null));
        }
        catch (AimsException e) when (e.Failure is AimsFailure.Unreachable or AimsFailure.CircuitOpen)
        {
            availability.ReportDown(conn, e.RetryAfter is { } ra && ra > _o.AimsDownWait ? ra : _o.AimsDownWait);
            log.LogWarning("AIMS {Root} is down ({Failure}); {Count} jobs wait", conn.Root, e.Failure, group.Count);
            throw new AimsDownException();
        }
        catch (AimsException e) when (e.IsRetryable)
        {
            foreach (var j in group) outcomes[j.Id] = new PushOutcome.Retry(e.Message, Counts: true, e.RetryAfter);
        }
        catch (AimsException e)
        {
            foreach (var j in group) outcomes[j.Id] = new PushOutcome.Dead(e.Message);
        }
    }

    private Task LabelAsync(AimsConnection conn, PushJob j, CancellationToken ct)
    {
        var label = j.PayloadString("labelCode") ?? throw new AimsException(AimsFailure.Rejected, $"Job {j.Id} has no labelCode.");
        return j.Action switch
        {
            SyncJobs.UnlinkLabel => aims.UnlinkLabelsAsync(conn, [label], ct),
            SyncJobs.LinkLabel => aims.LinkLabelAsync(conn, label,
                j.PayloadString("articleId") ?? throw new AimsException(AimsFailure.Rejected, $"Job {j.Id} has no articleId."),
                j.PayloadString("templateName"), ct),
            _ => aims.ChangePageAsync(conn, [label], j.PayloadInt("page") ?? 1, ct),
        };
    }

    /// <summary>Builds each upsert's article from the entity's current state and pushes them all, then reads the validation log.</summary>
    private async Task UpsertAsync(Guid orgId, AimsConnection conn, List<PushJob> jobs, IReadOnlyDictionary<(string, Guid), int> versions,
        Dictionary<Guid, PushOutcome> outcomes, CancellationToken ct)
    {
        AimsArticleFormat format;
        try { format = await FormatAsync(conn, ct); }
        catch (AimsException e) when (e.Failure is AimsFailure.Unreachable or AimsFailure.CircuitOpen)
        {
            availability.ReportDown(conn, _o.AimsDownWait);
            throw new AimsDownException();
        }
        var (orgSettings, _) = await db.ReadAsync(c => SettingsStore.LoadAsync(c, orgId), ct);
        var mappings = ArticleMappings.From(orgSettings, format);
        var articles = await ArticleSources.ReadAsync(db, orgId, jobs, mappings, ct);

        var pushing = new List<(PushJob Job, AimsArticle Article)>();
        foreach (var j in jobs)
        {
            if (articles.TryGetValue(j.Id, out var a)) pushing.Add((j, a));
            else outcomes[j.Id] = new PushOutcome.Done(null); // the entity is gone: its delete job does the AIMS side
        }
        var distinct = pushing.GroupBy(p => p.Article.ArticleId).Select(g => g.Last().Article).ToList();
        var rejected = new Dictionary<string, string>(StringComparer.Ordinal);
        await Guarded(conn, pushing.Select(p => p.Job).ToList(), outcomes, versions, async () =>
        {
            foreach (var batch in await aims.UpsertArticlesAsync(conn, distinct, ct))
                if (batch.BatchId is { } id && batch.InvalidCount is not 0)
                    foreach (var e in await aims.ListValidationErrorsAsync(conn, id, ct))
                        rejected[e.ArticleId] = e.Error ?? "AIMS rejected the article.";
        });
        foreach (var (job, article) in pushing)
            if (rejected.TryGetValue(article.ArticleId, out var reason) && outcomes[job.Id] is PushOutcome.Done done)
                outcomes[job.Id] = new PushOutcome.Rejected($"AIMS rejected article {article.ArticleId}: {reason}", done.Version);
    }

    private async Task<AimsArticleFormat> FormatAsync(AimsConnection conn, CancellationToken ct)
    {
        var key = conn.Root + "|" + conn.Company;
        if (_formats.TryGetValue(key, out var f) && time.GetUtcNow() - f.At < TimeSpan.FromMinutes(5)) return f.Format;
        var format = await aims.GetArticleFormatAsync(conn, ct);
        _formats[key] = (format, time.GetUtcNow());
        return format;
    }

    private async Task<IReadOnlyDictionary<(string, Guid), int>> ReadVersionsAsync(Guid orgId, List<PushJob> jobs, CancellationToken ct)
    {
        var result = new Dictionary<(string, Guid), int>();
        await db.ReadAsync(async c =>
        {
            foreach (var g in jobs.GroupBy(j => j.EntityType))
                if (SyncEntities.Table(g.Key) is { } table)
                    foreach (var (id, version) in await c.QueryAsync<(Guid, int)>($"SELECT id, version FROM {table} WHERE org_id = @orgId AND id = ANY(@ids)",
                                 new { orgId, ids = g.Select(j => j.EntityId).Distinct().ToArray() }))
                        result[(g.Key, id)] = version;
            return 0;
        }, ct);
        return result;
    }

    // ---- record ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Writes each outcome, fenced by the claim: a job whose row no longer carries this claim's token (the lease ran out
    /// and another worker claimed it) is left to that newer claim, with its entity.
    /// </summary>
    private async Task RecordAsync(Guid orgId, List<PushJob> jobs, Dictionary<Guid, PushOutcome> outcomes, CancellationToken ct)
    {
        var retries = new List<(PushJob Job, DateTimeOffset At)>();
        await db.InTransactionAsync(async (c, tx) =>
        {
            // The common case in bulk: every done job and its entity in a few set-based statements.
            var done = jobs.Where(j => outcomes[j.Id] is PushOutcome.Done).ToList();
            if (done.Count > 0)
            {
                var fenced = (await c.QueryAsync<Guid>("""
                    UPDATE sync_queue q SET status = 'completed', processed_at = now(), pushed_version = d.v, last_error = NULL,
                           locked_until = NULL, msg_visible_at = NULL
                    FROM unnest(@ids, @versions, @tokens) AS d(id, v, token)
                    WHERE q.id = d.id AND q.claim_token = d.token AND q.status = 'processing'
                    RETURNING q.id
                    """, new { ids = done.Select(j => j.Id).ToArray(), versions = done.Select(j => ((PushOutcome.Done)outcomes[j.Id]).Version).ToArray(),
                               tokens = done.Select(j => j.ClaimToken).ToArray() }, tx)).ToHashSet();
                done = done.Where(j => fenced.Contains(j.Id)).ToList();
                // Spaces before people: the API's lock order (an assign locks the space, then the person), so this
                // transaction, which locks many of both, never holds a person an assign waits for while it waits for the space.
                foreach (var g in done.GroupBy(j => j.EntityType).OrderBy(g => g.Key == EntityTypes.Space ? 0 : 1))
                    await SyncEntities.MarkSyncedAsync(c, tx, orgId, g.Key,
                        g.Select(j => (j.EntityId, ((PushOutcome.Done)outcomes[j.Id]).Version)).ToList());
            }
            foreach (var j in jobs)
            {
                switch (outcomes[j.Id])
                {
                    case PushOutcome.Done:
                        break;
                    case PushOutcome.Rejected r:
                        if (await c.ExecuteAsync("""
                                UPDATE sync_queue SET status = 'failed', processed_at = now(), pushed_version = @v, last_error = @error,
                                       locked_until = NULL, msg_visible_at = NULL WHERE id = @id AND claim_token = @token AND status = 'processing'
                                """, new { id = j.Id, v = r.Version, error = r.Reason, token = j.ClaimToken }, tx) == 1)
                            await SyncEntities.MarkAsync(c, tx, orgId, j, SyncStatus.Error, r.Reason, r.Version);
                        break;
                    case PushOutcome.Retry r when r.Counts && j.Attempts + 1 >= j.MaxAttempts:
                        await DeadLetters.KillAsync(c, tx, orgId, j, $"Gave up after {j.Attempts + 1} attempts: {r.Error}", attempts: j.Attempts + 1);
                        break;
                    case PushOutcome.Retry r:
                        var attempts = j.Attempts + (r.Counts ? 1 : 0);
                        var delay = r.Counts ? Backoff(attempts, r.After) : r.After ?? _o.AimsDownWait;
                        var at = time.GetUtcNow() + delay;
                        if (await c.ExecuteAsync("""
                                UPDATE sync_queue SET status = 'pending', attempts = @attempts, last_error = @error, scheduled_at = @at,
                                       locked_until = NULL WHERE id = @id AND claim_token = @token AND status = 'processing'
                                """, new { id = j.Id, attempts, error = r.Error, at, token = j.ClaimToken }, tx) == 1)
                            retries.Add((j, at));
                        break;
                    case PushOutcome.Dead d:
                        await DeadLetters.KillAsync(c, tx, orgId, j, d.Error, attempts: j.Attempts + 1);
                        break;
                }
            }
        }, ct);
        // One wake-up per organization at the earliest retry; processing it picks up every job due by then.
        if (retries.Count > 0)
        {
            var first = retries.MinBy(r => r.At);
            await queue.SendAsync(new PushMessage(orgId, first.Job.Id), first.At - time.GetUtcNow(), ct);
        }
    }

    /// <summary>Exponential backoff with full jitter between half and all of base·2^(attempt-1), capped; Retry-After wins when longer.</summary>
    public TimeSpan Backoff(int attempt, TimeSpan? retryAfter = null)
    {
        var ceiling = Math.Min(_o.RetryMaxDelay.TotalMilliseconds, _o.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1)));
        var delay = TimeSpan.FromMilliseconds(ceiling * (0.5 + Random.Shared.NextDouble() * 0.5));
        return retryAfter is { } ra && ra > delay ? ra : delay;
    }
}

/// <summary>Entity tables and their sync columns.</summary>
public static class SyncEntities
{
    public static string? Table(string entityType) => entityType switch
    {
        EntityTypes.Space => "spaces", EntityTypes.Person => "people", EntityTypes.Conference => "conference_rooms", _ => null,
    };

    /// <summary>SQL: no job of the entity (type and id are SQL expressions) is pending or processing, other than except.</summary>
    private static string NoOpenJob(string type, string id, string? except = null) =>
        $"NOT EXISTS (SELECT 1 FROM sync_queue o WHERE o.org_id = @orgId AND o.entity_type = {type} AND o.entity_id = {id}" +
        $"{(except is null ? "" : $" AND o.id <> {except}")} AND o.status IN ('pending', 'processing'))";

    /// <summary>
    /// SQL: the entities among <paramref name="ids"/> (an array expression) with a job of the type pending or processing,
    /// as an array read ONCE per statement. A batch's "no open job" check written per entity (NOT EXISTS) was planned,
    /// with statistics lagging the queue's churn (a new organization, a full sync, a burst of writes), as a scan of the
    /// organization's open jobs for every entity — up to 23 s a statement, full syncs of 17–72 s, and live-update streams
    /// stalled behind its events. Read once, the worst plan is one such scan.
    /// </summary>
    private static string OpenJobsAmong(string type, string ids) =>
        $"ARRAY(SELECT o.entity_id FROM sync_queue o WHERE o.org_id = @orgId AND o.entity_type = {type} AND o.entity_id = ANY({ids})" +
        " AND o.status IN ('pending', 'processing'))";

    /// <summary>
    /// Entities whose jobs are done (already marked completed in this transaction): synced if unchanged and nothing else
    /// is open. A space's article also shows its occupant, and a person moved from desk to desk has no job of its own
    /// (the two desks' articles carry the move), so a pending occupant becomes synced with its desk when no job of the
    /// person or of the desk is still open (a change of the person since has a job of its own, which decides).
    /// </summary>
    public static Task MarkSyncedAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, string entityType, IReadOnlyList<(Guid Id, int? Version)> entities)
    {
        if (Table(entityType) is not { } table) return Task.CompletedTask;
        var occupants = entityType != EntityTypes.Space ? "" : $"""
            ;
            WITH changed AS (
                UPDATE people p SET sync_status = 'synced', sync_error = NULL, last_synced_at = now()
                FROM unnest(@ids) AS d(id)
                WHERE p.org_id = @orgId AND p.assigned_space_id = d.id AND p.sync_status = 'pending'
                  AND p.id <> ALL ({OpenJobsAmong("'person'", "ARRAY(SELECT x.id FROM people x WHERE x.org_id = @orgId AND x.assigned_space_id = ANY(@ids))")})
                  AND d.id <> ALL ({OpenJobsAmong("'space'", "@ids")})
                RETURNING p.org_id, p.id, p.version, p.sync_status, p.sync_error)
            {ChangeEvents.SyncStatusFrom("changed", "'person'")}
            """;
        // Each statement writes the events of the rows it changed (ChangeEvents), in this transaction.
        return c.ExecuteAsync($"""
            WITH changed AS (
                UPDATE {table} e SET sync_status = 'synced', sync_error = NULL, last_synced_at = now()
                FROM unnest(@ids, @versions) AS d(id, v)
                WHERE e.org_id = @orgId AND e.id = d.id AND e.version = d.v AND e.id <> ALL ({OpenJobsAmong("@entityType", "@ids")})
                RETURNING e.org_id, e.id, e.version, e.sync_status, e.sync_error)
            {ChangeEvents.SyncStatusFrom("changed", "@entityType")}
            {occupants}
            """, new { orgId, entityType, ids = entities.Select(e => e.Id).ToArray(), versions = entities.Select(e => e.Version).ToArray() }, tx);
    }

    /// <summary>
    /// Sets the entity's sync status after its job: synced/error only when the entity is still the version pushed and no
    /// other job of it is open (else a later job decides); failed always (a dead letter needs attention).
    /// </summary>
    public static Task MarkAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, PushJob j, SyncStatus status, string? error, int? version)
    {
        if (Table(j.EntityType) is not { } table) return Task.CompletedTask;
        var guard = status == SyncStatus.Failed ? "" : $"AND version = @version AND {NoOpenJob("@type", "@id", except: "@jobId")}";
        return c.ExecuteAsync($"""
            WITH changed AS (
                UPDATE {table} SET sync_status = @status, sync_error = @error,
                       last_synced_at = CASE WHEN @status = 'synced' THEN now() ELSE last_synced_at END
                WHERE org_id = @orgId AND id = @id {guard}
                RETURNING org_id, id, version, sync_status, sync_error)
            {ChangeEvents.SyncStatusFrom("changed", "@type")}
            """, new { status = status.Text(), error, orgId, id = j.EntityId, type = j.EntityType, jobId = j.Id, version }, tx);
    }
}
