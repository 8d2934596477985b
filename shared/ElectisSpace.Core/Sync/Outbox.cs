namespace ElectisSpace.Core.Sync;

/// <summary>
/// The AIMS work a change needs; the sync engine consumes these rows from sync_queue.
/// Payloads carry only what can't be read back from the entity at processing time (the engine re-reads the
/// entity, so a burst of edits pushes the latest state):
/// <list type="bullet">
/// <item>upsert_article — entity space/person/conference: push the entity's article (a person's article is its space's while assigned, else its POOL id).</item>
/// <item>delete_article — {articleId}: the article no longer exists locally (deleted space/room, released POOL id).</item>
/// <item>link_label — {labelCode, articleId, templateName}; unlink_label — {labelCode}.</item>
/// <item>flip_page — {labelCode, page}: show a conference label's page (1 available, 2 meeting).</item>
/// </list>
/// </summary>
public static class SyncJobs
{
    public const string UpsertArticle = "upsert_article";
    public const string DeleteArticle = "delete_article";
    public const string LinkLabel = "link_label";
    public const string UnlinkLabel = "unlink_label";
    public const string FlipPage = "flip_page";

    /// <summary>Attempts per job type, from the design's retry table (deletes 3, assignment-like work 10, else 5).</summary>
    public static int MaxAttempts(string entityType, string action) => (entityType, action) switch
    {
        (_, DeleteArticle) => 3,
        (EntityTypes.Person, _) or (EntityTypes.Conference, _) => 10,
        _ => 5,
    };
}

/// <summary>
/// Writes outbox rows inside the caller's transaction: the change and its AIMS job commit together or not at all. The rows
/// go out with the commit (<see cref="CommitBatch"/>), in the order they were enqueued, so their seq keeps that order.
/// </summary>
public static class Outbox
{
    public static Task EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId,
        string entityType, Guid entityId, string action, object? payload = null) =>
        CommitRows.AddAsync<OutboxRows>(conn, tx, rows => rows.Add(orgId, entityType, entityId, action, payload));

    /// <summary>
    /// Wakes the dispatcher after the commit for work this transaction made due without inserting a row (a re-queued
    /// job); a caller's own transaction has no commit hook, and the sweeper sends that work.
    /// </summary>
    public static Task WakeAfterCommitAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId) =>
        CommitRows.AddAsync<OutboxRows>(conn, tx, rows => rows.Wake(orgId));

    /// <summary>One upsert_article row per entity id (bulk changes: imports, list loads). Returns how many were queued.</summary>
    public static Task<int> EnqueueUpsertsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId, string entityType, Guid[] entityIds) =>
        EnqueueManyAsync(conn, tx, orgId, entityType, SyncJobs.UpsertArticle, entityIds.Select(id => (id, (object)new { })).ToList());

    /// <summary>delete_article rows for articles that are gone (bulk form).</summary>
    public static Task<int> EnqueueDeletesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId, string entityType,
        Guid[] entityIds, string[] articleIds) =>
        EnqueueManyAsync(conn, tx, orgId, entityType, SyncJobs.DeleteArticle,
            entityIds.Zip(articleIds, (id, articleId) => (id, (object)new { articleId })).ToList());

    /// <summary>One row per (entity, payload) of one action. Returns how many were queued.</summary>
    public static async Task<int> EnqueueManyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId, string entityType, string action,
        IReadOnlyList<(Guid EntityId, object Payload)> jobs)
    {
        if (jobs.Count == 0) return 0;
        await CommitRows.AddAsync<OutboxRows>(conn, tx, rows =>
        {
            foreach (var (entityId, payload) in jobs) rows.Add(orgId, entityType, entityId, action, payload);
        });
        return jobs.Count;
    }
}

/// <summary>sync_queue rows kept for the commit; one INSERT writes them in enqueue order (identity seq follows it).</summary>
public sealed class OutboxRows : ICommitRows
{
    private readonly List<Guid> _orgs = [], _entities = [];
    private readonly List<string> _types = [], _actions = [], _payloads = [];
    private readonly List<int> _maxAttempts = [];
    private readonly HashSet<Guid> _wake = [];

    /// <summary>The organizations whose push work this transaction queued: the dispatcher is woken for each after commit.</summary>
    public IReadOnlyCollection<Guid> Organizations => _wake;

    public void Wake(Guid orgId) => _wake.Add(orgId);

    public void Add(Guid orgId, string entityType, Guid entityId, string action, object? payload)
    {
        _orgs.Add(orgId);
        _wake.Add(orgId);
        _types.Add(entityType);
        _entities.Add(entityId);
        _actions.Add(action);
        _payloads.Add(Json.Serialize(payload ?? new { }));
        _maxAttempts.Add(SyncJobs.MaxAttempts(entityType, action));
    }

    public NpgsqlBatchCommand? ToCommand() => _orgs.Count == 0 ? null : new NpgsqlBatchCommand("""
        INSERT INTO sync_queue (org_id, entity_type, entity_id, action, payload, max_attempts)
        SELECT j.org_id, j.entity_type, j.entity_id, j.action, j.payload::jsonb, j.max_attempts
        FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::integer[]) WITH ORDINALITY
             AS j(org_id, entity_type, entity_id, action, payload, max_attempts, n)
        ORDER BY j.n
        """)
    {
        Parameters =
        {
            new() { Value = _orgs.ToArray() }, new() { Value = _types.ToArray() }, new() { Value = _entities.ToArray() },
            new() { Value = _actions.ToArray() }, new() { Value = _payloads.ToArray() }, new() { Value = _maxAttempts.ToArray() },
        },
    };
}

/// <summary>
/// An organization's outbox as the sync status and the detailed health report it: open, failed and dead jobs and the
/// newest completed one, each read through a partial index (migration 0018), never the retained completed jobs.
/// </summary>
public sealed record OutboxCounts(long Pending, long Processing, long Failed, long Dead, DateTime? LastCompleted)
{
    public static Task<OutboxCounts> ReadAsync(NpgsqlConnection c, Guid orgId) => c.QuerySingleAsync<OutboxCounts>("""
        SELECT o.pending, o.processing, p.failed, p.dead, l.last_completed
        FROM (SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'processing') AS processing
              FROM sync_queue WHERE org_id = @orgId AND status IN ('pending', 'processing')) o,
             (SELECT count(*) FILTER (WHERE status = 'failed') AS failed, count(*) FILTER (WHERE status = 'dead') AS dead
              FROM sync_queue WHERE org_id = @orgId AND status IN ('failed', 'dead')) p,
             (SELECT max(processed_at) AS last_completed FROM sync_queue WHERE org_id = @orgId AND status = 'completed') l
        """, new { orgId });
}
