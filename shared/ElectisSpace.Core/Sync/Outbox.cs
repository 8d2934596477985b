namespace ElectisSpace.Core.Sync;

/// <summary>The AIMS work a change needs; the sync engine consumes these rows from sync_queue.</summary>
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
}
