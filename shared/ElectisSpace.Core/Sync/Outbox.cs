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
        ("person", _) or ("conference", _) => 10,
        _ => 5,
    };
}

/// <summary>Writes outbox rows inside the caller's transaction: the change and its AIMS job commit together or not at all.</summary>
public static class Outbox
{
    private const string InsertSql = """
        INSERT INTO sync_queue (org_id, entity_type, entity_id, action, payload, max_attempts)
        VALUES (@OrgId, @EntityType, @EntityId, @Action, @Payload::jsonb, @MaxAttempts)
        RETURNING id
        """;

    public static Task<Guid> EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId,
        string entityType, Guid entityId, string action, object? payload = null) =>
        conn.ExecuteScalarAsync<Guid>(InsertSql, new
        {
            OrgId = orgId, EntityType = entityType, EntityId = entityId, Action = action,
            Payload = Json.Serialize(payload ?? new { }), MaxAttempts = SyncJobs.MaxAttempts(entityType, action),
        }, tx);

    /// <summary>One upsert_article row per entity id, in one statement (bulk changes: imports, list loads).</summary>
    public static Task<int> EnqueueUpsertsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId, string entityType, Guid[] entityIds) =>
        entityIds.Length == 0 ? Task.FromResult(0) : conn.ExecuteAsync("""
            INSERT INTO sync_queue (org_id, entity_type, entity_id, action, payload, max_attempts)
            SELECT @orgId, @entityType, id, @action, '{}'::jsonb, @maxAttempts FROM unnest(@entityIds) AS id
            """, new { orgId, entityType, entityIds, action = SyncJobs.UpsertArticle,
                       maxAttempts = SyncJobs.MaxAttempts(entityType, SyncJobs.UpsertArticle) }, tx);

    /// <summary>delete_article rows for articles that are gone (bulk form).</summary>
    public static Task<int> EnqueueDeletesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId, string entityType,
        Guid[] entityIds, string[] articleIds) =>
        entityIds.Length == 0 ? Task.FromResult(0) : conn.ExecuteAsync("""
            INSERT INTO sync_queue (org_id, entity_type, entity_id, action, payload, max_attempts)
            SELECT @orgId, @entityType, t.id, @action, jsonb_build_object('articleId', t.article_id), @maxAttempts
            FROM unnest(@entityIds, @articleIds) AS t(id, article_id)
            """, new { orgId, entityType, entityIds, articleIds, action = SyncJobs.DeleteArticle,
                       maxAttempts = SyncJobs.MaxAttempts(entityType, SyncJobs.DeleteArticle) }, tx);

    /// <summary>One row per (entity, payload) of one action, in one statement.</summary>
    public static Task<int> EnqueueManyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId, string entityType, string action,
        IReadOnlyList<(Guid EntityId, object Payload)> jobs) =>
        jobs.Count == 0 ? Task.FromResult(0) : conn.ExecuteAsync("""
            INSERT INTO sync_queue (org_id, entity_type, entity_id, action, payload, max_attempts)
            SELECT @orgId, @entityType, t.id, @action, t.payload::jsonb, @maxAttempts FROM unnest(@ids, @payloads) AS t(id, payload)
            """, new { orgId, entityType, action, ids = jobs.Select(j => j.EntityId).ToArray(),
                       payloads = jobs.Select(j => Json.Serialize(j.Payload)).ToArray(),
                       maxAttempts = SyncJobs.MaxAttempts(entityType, action) }, tx);
}
