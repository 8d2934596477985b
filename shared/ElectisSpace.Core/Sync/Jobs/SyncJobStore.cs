using ElectisSpace.Core.Events;
using ElectisSpace.Core.Sync.FullSync;

namespace ElectisSpace.Core.Sync.Jobs;

public static class SyncJobTypes
{
    public const string Full = "full", Pull = "pull", Push = "push";
}

/// <summary>What a sync did. Downloaded: AIMS-side changes taken into the server; Uploaded: articles/labels written to
/// (or deleted from) AIMS; Conflicts: changed on both sides and resolved; Errors: items that failed; Read: articles read from AIMS.</summary>
/// <summary>LabelsTakenFromAims: labels the sync changed on entities to match AIMS (each audited as sync_label_from_aims).</summary>
public sealed record SyncStats(int Downloaded = 0, int Uploaded = 0, int Conflicts = 0, int Errors = 0, int Read = 0, int LabelsTakenFromAims = 0);

public sealed record SyncConflictDto(string ArticleId, string? EntityType, Guid? EntityId, string Kind, string Strategy, string Winner, DateTimeOffset CreatedAt);

public sealed record SyncJobDto(Guid Id, Guid JobId, string Type, string Status, string Trigger, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, SyncStats Stats, string? Error, IReadOnlyList<SyncConflictDto>? Conflicts = null);

/// <summary>The sync_jobs table: the one job record both hosts (and every job type) write.</summary>
public static class SyncJobStore
{
    private const string Columns = "id, type, status, trigger, created_at, started_at, completed_at, stats::text AS stats, error";

    /// <summary>
    /// A new job, or — for full and pull — the organization's active one when there is one (the partial unique index
    /// sync_jobs_one_active_idx decides, across instances and hosts). Created = false means "answer with the running job".
    /// </summary>
    public static async Task<(Guid JobId, bool Created)> CreateAsync(Db db, Guid orgId, string type, string trigger, Guid? requestedBy,
        CancellationToken ct = default) =>
        await db.InTransactionAsync(async (c, tx) =>
        {
            var id = await c.ExecuteScalarAsync<Guid?>("""
                INSERT INTO sync_jobs (org_id, type, trigger, requested_by) VALUES (@orgId, @type, @trigger, @requestedBy)
                ON CONFLICT DO NOTHING RETURNING id
                """, new { orgId, type, trigger, requestedBy }, tx);
            if (id is { } created) return (created, true);
            var running = await c.ExecuteScalarAsync<Guid>("""
                SELECT id FROM sync_jobs WHERE org_id = @orgId AND type = @type AND status IN ('queued', 'running') LIMIT 1
                """, new { orgId, type }, tx);
            return (running, false);
        }, ct);

    public static Task<Guid> OrgOfAsync(NpgsqlConnection c, Guid jobId) =>
        c.ExecuteScalarAsync<Guid?>("SELECT org_id FROM sync_jobs WHERE id = @jobId", new { jobId })
            .ContinueWith(t => t.Result ?? throw new InvalidOperationException($"Sync job {jobId} does not exist."));

    // Each change of a job's state writes its event (ChangeEvents.JobEvent) in the same statement; the statements answer
    // how many jobs they changed, as before.

    /// <summary>
    /// The job is running and its runner alive (heartbeat). Fenced: a job the sweeper already ended stays ended, and its
    /// late runner is told so (<see cref="SyncAbortedException"/>) instead of writing results for it. Its sync:started
    /// event is written when it was not running already (a step retried).
    /// </summary>
    public static async Task MarkRunningAsync(NpgsqlConnection c, Guid jobId)
    {
        if (await c.ExecuteScalarAsync<long>($"""
            WITH before AS (SELECT status FROM sync_jobs WHERE id = @jobId),
            changed AS (
                UPDATE sync_jobs SET status = 'running', started_at = coalesce(started_at, now()), heartbeat_at = now()
                WHERE id = @jobId AND status IN ('queued', 'running')
                RETURNING org_id, id, type, stats, error),
            started AS ({ChangeEvents.JobEvent("changed", ChangeEvents.JobStarted)} WHERE (SELECT status FROM before) <> 'running')
            SELECT count(*) FROM changed
            """, new { jobId }) == 0) throw Ended(jobId);
    }

    /// <summary>A step of the job starts: its runner is alive (heartbeat) and the job still active; answers its organization.</summary>
    public static async Task<Guid> StepAsync(NpgsqlConnection c, Guid jobId) =>
        await c.ExecuteScalarAsync<Guid?>("""
            UPDATE sync_jobs SET heartbeat_at = now() WHERE id = @jobId AND status IN ('queued', 'running') RETURNING org_id
            """, new { jobId }) ?? throw Ended(jobId);

    /// <summary>The runner is alive: false when the job is no longer active (ended by the sweeper or finished).</summary>
    public static async Task<bool> HeartbeatAsync(NpgsqlConnection c, Guid jobId) =>
        await c.ExecuteAsync("UPDATE sync_jobs SET heartbeat_at = now() WHERE id = @jobId AND status IN ('queued', 'running')", new { jobId }) == 1;

    /// <summary>Completes an active job (fenced like <see cref="MarkRunningAsync"/>: throws when it was ended meanwhile, so the caller's transaction rolls back).</summary>
    public static async Task CompleteAsync(NpgsqlConnection c, NpgsqlTransaction? tx, Guid jobId, SyncStats stats)
    {
        // One event per job changed: the INSERT's count is the UPDATE's.
        if (await c.ExecuteAsync($"""
            WITH changed AS (
                UPDATE sync_jobs SET status = 'completed', completed_at = now(), started_at = coalesce(started_at, now()), stats = @stats::jsonb
                WHERE id = @jobId AND status IN ('queued', 'running')
                RETURNING org_id, id, type, stats, error)
            {ChangeEvents.JobEvent("changed", ChangeEvents.JobCompleted)}
            """, new { jobId, stats = Json.Serialize(stats) }, tx) == 0) throw Ended(jobId);
    }

    /// <summary>Fails an active job; a job already ended keeps its outcome and first reason.</summary>
    public static Task<int> FailAsync(NpgsqlConnection c, Guid jobId, string reason, SyncStats? stats = null) =>
        c.ExecuteAsync($"""
            WITH changed AS (
                UPDATE sync_jobs SET status = 'failed', completed_at = now(), started_at = coalesce(started_at, now()), error = @reason,
                       stats = coalesce(@stats::jsonb, stats)
                WHERE id = @jobId AND status IN ('queued', 'running')
                RETURNING org_id, id, type, stats, error)
            {ChangeEvents.JobEvent("changed", ChangeEvents.JobFailed)}
            """, new { jobId, reason, stats = stats is null ? null : Json.Serialize(stats) });

    private static SyncAbortedException Ended(Guid jobId) => new($"Sync job {jobId} was ended while its runner worked (its lease lapsed); its results are not written.");

    public static async Task<SyncJobDto?> GetAsync(NpgsqlConnection c, Guid orgId, Guid jobId)
    {
        var row = await c.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM sync_jobs WHERE org_id = @orgId AND id = @jobId", new { orgId, jobId });
        if (row is null) return null;
        var conflicts = (await c.QueryAsync<ConflictRow>("""
            SELECT article_id, entity_type, entity_id, kind, strategy, winner, created_at FROM sync_conflicts
            WHERE org_id = @orgId AND job_id = @jobId ORDER BY article_id, kind LIMIT 100
            """, new { orgId, jobId })).Select(r => r.ToDto()).ToList();
        return row.ToDto(conflicts);
    }

    public static async Task<(IReadOnlyList<SyncJobDto> Rows, long Total)> ListAsync(NpgsqlConnection c, Guid orgId, PageRequest page, string? type)
    {
        var args = new DynamicParameters(new { orgId, type });
        var (rows, total) = await ListPage.ReadAsync<Row>(c, $"""
            SELECT {Columns} FROM sync_jobs WHERE org_id = @orgId AND (@type::text IS NULL OR type = @type)
            ORDER BY created_at DESC, id {page.LimitSql(args)}
            """, "SELECT count(*) FROM sync_jobs WHERE org_id = @orgId AND (@type::text IS NULL OR type = @type)", args);
        return (rows.Select(r => r.ToDto(null)).ToList(), total);
    }

    private sealed class Row
    {
        public Guid Id { get; set; } public string Type { get; set; } = ""; public string Status { get; set; } = ""; public string Trigger { get; set; } = "";
        public DateTime CreatedAt { get; set; } public DateTime? StartedAt { get; set; } public DateTime? CompletedAt { get; set; }
        public string Stats { get; set; } = "{}"; public string? Error { get; set; }

        public SyncJobDto ToDto(IReadOnlyList<SyncConflictDto>? conflicts) => new(Id, Id, Type, Status, Trigger, Utc(CreatedAt),
            StartedAt is { } s ? Utc(s) : null, CompletedAt is { } d ? Utc(d) : null,
            JsonSerializer.Deserialize<SyncStats>(Stats, Json.Options) ?? new SyncStats(), Error, conflicts);
    }

    private sealed class ConflictRow
    {
        public string ArticleId { get; set; } = ""; public string? EntityType { get; set; } public Guid? EntityId { get; set; }
        public string Kind { get; set; } = ""; public string Strategy { get; set; } = ""; public string Winner { get; set; } = ""; public DateTime CreatedAt { get; set; }
        public SyncConflictDto ToDto() => new(ArticleId, EntityType, EntityId, Kind, Strategy, Winner, Utc(CreatedAt));
    }

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}
