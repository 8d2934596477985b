using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Sync.Push;

public sealed record DeadLetterDto(Guid Id, string EntityType, Guid EntityId, string Action, JsonElement Payload, int Attempts,
    int MaxAttempts, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? FailedAt);

/// <summary>
/// Jobs that will not be tried again (attempts exhausted, or a permanent AIMS refusal; never because a queue message failed):
/// status dead, the entity failed with the last error, an audit record. Admins list and re-queue them.
/// </summary>
public static class DeadLetters
{
    public const string AuditAction = "sync_failed";
    public const string RetryAuditAction = "sync_retry";

    private sealed class DeadRow
    {
        public Guid Id { get; init; }
        public string EntityType { get; init; } = "";
        public Guid EntityId { get; init; }
        public string Action { get; init; } = "";
        public string Payload { get; init; } = "{}";
        public int Attempts { get; init; }
        public int MaxAttempts { get; init; }
        public string? LastError { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? ProcessedAt { get; init; }
    }

    /// <summary>Buries a claimed job, fenced by its claim (a newer claim's worker decides otherwise).</summary>
    public static async Task KillAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, PushJob j, string error, int attempts)
    {
        var killed = await c.ExecuteAsync("""
            UPDATE sync_queue SET status = 'dead', attempts = @attempts, last_error = @error, processed_at = now(), locked_until = NULL,
                   msg_visible_at = NULL
            WHERE org_id = @orgId AND id = @id AND status = 'processing' AND claim_token = @token
            """, new { orgId, id = j.Id, attempts, error, token = j.ClaimToken }, tx);
        if (killed == 0) return; // re-claimed meanwhile: the newer claim records the outcome
        await SyncEntities.MarkAsync(c, tx, orgId, j, SyncStatus.Failed, error, null);
        await AuditLog.WriteAsync(c, tx, new AuditContext(orgId, null, null, "sync-engine"), AuditAction, j.EntityType, j.EntityId,
            null, new { jobId = j.Id, action = j.Action, attempts, error });
    }

    public static Task<(List<DeadLetterDto> Rows, long Total)> ListAsync(Db db, Guid orgId, PageRequest page, CancellationToken ct) =>
        db.ReadAsync(async c =>
        {
            var args = new DynamicParameters(new { orgId });
            var (rows, total) = await ListPage.ReadAsync<DeadRow>(c, $"""
                SELECT id, entity_type, entity_id, action, payload::text AS payload, attempts, max_attempts, last_error, created_at, processed_at
                FROM sync_queue WHERE org_id = @orgId AND status = 'dead'
                ORDER BY processed_at DESC NULLS LAST, id {page.LimitSql(args)}
                """, "SELECT count(*) FROM sync_queue WHERE org_id = @orgId AND status = 'dead'", args);
            return (rows.Select(r => new DeadLetterDto(r.Id, r.EntityType, r.EntityId, r.Action, JsonDocument.Parse(r.Payload).RootElement.Clone(),
                r.Attempts, r.MaxAttempts, r.LastError, r.CreatedAt, r.ProcessedAt)).ToList(), total);
        }, ct);

    /// <summary>Re-queues a dead job with fresh attempts; its entity goes back to pending. False when no such dead job.</summary>
    public static Task<bool> RetryAsync(Db db, AuditContext who, Guid jobId, CancellationToken ct) =>
        db.InTransactionAsync(async (c, tx) =>
        {
            var row = await c.QuerySingleOrDefaultAsync<(string EntityType, Guid EntityId)?>("""
                UPDATE sync_queue SET status = 'pending', attempts = 0, scheduled_at = now(), processed_at = NULL, locked_until = NULL,
                       msg_visible_at = now(), msg_receipt = NULL, dequeue_count = 0, poisoned_at = NULL, dispatched_at = NULL
                WHERE org_id = @orgId AND id = @jobId AND status = 'dead'
                RETURNING entity_type, entity_id
                """, new { orgId = who.OrgId, jobId }, tx);
            if (row is not { } r) return false;
            if (SyncEntities.Table(r.EntityType) is { } table)
                await c.ExecuteAsync($"UPDATE {table} SET sync_status = 'pending', sync_error = NULL WHERE org_id = @orgId AND id = @id",
                    new { orgId = who.OrgId, id = r.EntityId }, tx);
            // A retried job needs a wake-up after commit like any new change.
            if (who.OrgId is { } orgId) await Outbox.WakeAfterCommitAsync(c, tx, orgId);
            await AuditLog.WriteAsync(c, tx, who, RetryAuditAction, r.EntityType, r.EntityId, null, new { jobId });
            return true;
        }, ct);
}
