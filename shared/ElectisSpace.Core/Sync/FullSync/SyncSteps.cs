using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Labels;
using ElectisSpace.Core.Settings;
using ElectisSpace.Core.Sync.Jobs;
using ElectisSpace.Core.Sync.Push;
using ElectisSpace.Core.Sync.Reconcile;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.FullSync;

public sealed record PlanSummary(int Read, int Conflicts, int Batches, int ToApply);
public sealed record StepResult(int Downloaded = 0, int Uploaded = 0, int Errors = 0, int LabelsTakenFromAims = 0);

/// <summary>A failure retrying can't fix (the organization has no AIMS settings): the job fails with this message.</summary>
public sealed class SyncAbortedException(string message) : Exception(message);

/// <summary>What one sync works with: the organization, its AIMS connection, settings and article mappings.</summary>
public sealed record SyncContext(Guid OrgId, AimsConnection Conn, OrganizationSettings Settings, ArticleMappings Mappings);

/// <summary>
/// The steps of a sync as plain services, run in order by the Durable orchestration (Functions) and by the background
/// runner (Standalone): Begin (check AIMS) → Plan (fetch AIMS articles in pages, load the server side, reconcile, store the
/// plan) → ApplyLocal (one transaction) → PushBatch × n (≤ 500 articles each, fanned out) → Complete (statuses, stats).
/// Every step takes the job id and reads what it needs from the database, so each is safe to retry and the orchestration
/// history carries ids, not articles. The pull timer uses the same reconcile and apply.
/// </summary>
public sealed class SyncSteps(Db db, AimsClient aims, AimsConnections connections, PushProcessor push, TimeProvider time, ILogger<SyncSteps> log)
{
    public const int BatchSize = AimsClient.ArticleBatchSize;

    // ---- steps ------------------------------------------------------------------------------------------------

    /// <summary>Step 1: AIMS answers and accepts the organization's account; the job is running.</summary>
    public async Task BeginAsync(Guid jobId, CancellationToken ct = default)
    {
        var orgId = await db.ReadAsync(async c => { await SyncJobStore.MarkRunningAsync(c, jobId); return await SyncJobStore.OrgOfAsync(c, jobId); }, ct);
        var conn = await ConnectionAsync(orgId, ct);
        var alive = await aims.CheckAliveAsync(conn.Root, ct);
        if (!alive.Up) throw new AimsException(AimsFailure.Unreachable, $"AIMS is unreachable: {alive.Error}");
        await aims.GetTokenAsync(conn, ct);
    }

    /// <summary>Steps 2–4: fetch every AIMS article, load the server side, reconcile, and store the plan and its conflicts.</summary>
    public async Task<PlanSummary> PlanAsync(Guid jobId, CancellationToken ct = default)
    {
        var orgId = await db.ReadAsync(c => SyncJobStore.StepAsync(c, jobId), ct);
        var ctx = await ContextAsync(orgId, ct);
        var articles = await aims.ListArticleInfoAsync(ctx.Conn, ct);
        var (plan, local, _) = await ReconcileAsync(ctx, articles, ct);
        var aimsById = articles.ToDictionary(a => a.ArticleId, StringComparer.Ordinal);

        var rows = new List<(string Article, string? Type, Guid? Entity, string Action, int? Batch, string Detail)>();
        var outgoing = 0;
        foreach (var item in plan.Items)
        {
            int? batch = item.Action is PlanAction.Push or PlanAction.DeleteInAims or PlanAction.PushLabel ? outgoing++ / BatchSize : null;
            var detail = item.Action switch
            {
                PlanAction.ApplyToLocal or PlanAction.Import or PlanAction.ApplyLabel => Json.Serialize(aimsById[item.ArticleId]),
                PlanAction.Push => Json.Serialize(new { label = item.Label }),
                PlanAction.PushLabel => Json.Serialize(new { label = item.Label, labels = item.Labels }),
                PlanAction.InStep => InStep(local[item.ArticleId], aimsById[item.ArticleId]),
                _ => "{}",
            };
            rows.Add((item.ArticleId, item.EntityType, item.EntityId, item.Action.ToString(), batch, detail));
        }
        await db.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("DELETE FROM sync_job_items WHERE job_id = @jobId; DELETE FROM sync_conflicts WHERE job_id = @jobId", new { jobId }, tx);
            await c.ExecuteAsync("""
                INSERT INTO sync_job_items (job_id, org_id, article_id, entity_type, entity_id, action, batch, detail)
                SELECT @jobId, @orgId, t.a, t.et, t.eid, t.act, t.b, t.d::jsonb
                FROM unnest(@articles, @types, @entities, @actions, @batches, @details) AS t(a, et, eid, act, b, d)
                """, new
            {
                jobId, orgId, articles = rows.Select(r => r.Article).ToArray(), types = rows.Select(r => r.Type).ToArray(),
                entities = rows.Select(r => r.Entity).ToArray(), actions = rows.Select(r => r.Action).ToArray(),
                batches = rows.Select(r => r.Batch).ToArray(), details = rows.Select(r => r.Detail).ToArray(),
            }, tx);
            await RecordConflictsAsync(c, tx, orgId, jobId, plan, ctx.Settings.ConflictStrategy, local, aimsById);
            await c.ExecuteAsync("UPDATE sync_jobs SET planned_at = clock_timestamp() WHERE id = @jobId", new { jobId }, tx);
        }, ct);
        var batches = outgoing == 0 ? 0 : (outgoing - 1) / BatchSize + 1;
        return new PlanSummary(articles.Count, plan.Conflicts.Count, batches,
            plan.Items.Count(i => i.Action is PlanAction.ApplyToLocal or PlanAction.Import or PlanAction.ApplyLabel));
    }

    /// <summary>Step 5: the AIMS-side changes the plan takes into the server, in one transaction (all or nothing).</summary>
    public async Task<StepResult> ApplyLocalAsync(Guid jobId, CancellationToken ct = default)
    {
        var orgId = await db.ReadAsync(c => SyncJobStore.StepAsync(c, jobId), ct);
        var ctx = await ContextAsync(orgId, ct, withFormat: true);
        var items = await db.ReadAsync(c => c.QueryAsync<ItemRow>("""
            SELECT article_id, entity_type, entity_id, action, detail::text AS detail FROM sync_job_items
            WHERE job_id = @jobId AND action IN ('ApplyToLocal', 'Import', 'ApplyLabel') ORDER BY article_id, action
            """, new { jobId }), ct);
        var work = items.Select(i => (new PlanItem(i.ArticleId, Enum.Parse<PlanAction>(i.Action), i.EntityType, i.EntityId,
                Labels: null), JsonSerializer.Deserialize<AimsArticleInfo>(i.Detail, Json.Options)!)).ToList();
        return await db.InTransactionAsync((c, tx) => ApplyAsync(c, tx, ctx, work), ct);
    }

    /// <summary>
    /// Step 6 (one batch of ≤ 500): the batch's AIMS writes go into the outbox, the one push path (per-article order,
    /// coalescing, dead letters, the version rule for synced). Each job carries the job and batch, so
    /// <see cref="AwaitBatchAsync"/> finds them. A label is linked only while the entity still holds the label planned
    /// (read under a share lock: a label change waits for this commit, and its own jobs queue after these). Returns how many.
    /// </summary>
    public async Task<int> PushBatchAsync(Guid jobId, int batch, CancellationToken ct = default)
    {
        var orgId = await db.ReadAsync(c => SyncJobStore.StepAsync(c, jobId), ct);
        return await db.InTransactionAsync(async (c, tx) =>
        {
            var items = (await c.QueryAsync<ItemRow>("""
                SELECT article_id, entity_type, entity_id, action, detail::text AS detail FROM sync_job_items
                WHERE job_id = @jobId AND batch = @batch ORDER BY article_id
                """, new { jobId, batch }, tx)).ToList();
            var held = await HeldLabelsAsync(c, tx, orgId, items);
            var queued = 0;
            async Task Enqueue(string type, Guid id, string action, object payload)
            {
                await Outbox.EnqueueAsync(c, tx, orgId, type, id, action, payload);
                queued++;
            }
            foreach (var i in items)
            {
                var d = JsonSerializer.Deserialize<LabelsDetail>(i.Detail, Json.Options) ?? new LabelsDetail(null, null);
                var holds = i.EntityId is { } e && held.TryGetValue(e, out var now) && now == d.Label;
                switch (i.Action)
                {
                    case nameof(PlanAction.Push) when i.EntityId is { } id:
                        await Enqueue(i.EntityType!, id, SyncJobs.UpsertArticle, new { fullSync = jobId, batch });
                        if (d.Label is { } l && holds)
                            await Enqueue(i.EntityType!, id, SyncJobs.LinkLabel, new { labelCode = l, articleId = i.ArticleId, fullSync = jobId, batch });
                        break;
                    case nameof(PlanAction.DeleteInAims):
                        await Enqueue(i.EntityType ?? EntityTypes.Space, i.EntityId ?? Guid.Empty, SyncJobs.DeleteArticle,
                            new { articleId = i.ArticleId, fullSync = jobId, batch });
                        break;
                    case nameof(PlanAction.PushLabel) when i.EntityId is { } id && holds:
                        foreach (var shown in (d.Labels ?? []).Where(x => x != d.Label))
                            await Enqueue(i.EntityType!, id, SyncJobs.UnlinkLabel, new { labelCode = shown, fullSync = jobId, batch });
                        if (d.Label is { } label)
                            await Enqueue(i.EntityType!, id, SyncJobs.LinkLabel, new { labelCode = label, articleId = i.ArticleId, fullSync = jobId, batch });
                        break;
                }
            }
            return queued;
        }, ct);
    }

    /// <summary>How long one attempt of <see cref="AwaitBatchAsync"/> waits for the batch's jobs before it fails (and is retried).</summary>
    public static readonly TimeSpan PushWait = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Step 7 (per batch): works the organization's outbox (the push processor, as every trigger runs it) until the batch's
    /// jobs are finished, then takes their outcomes: entity statuses are the outbox's (synced by version, failed with the
    /// reason); the base is refreshed for what AIMS now holds. A label AIMS refused stays assigned (its entity failed,
    /// retryable) unless the organization's strategy lets AIMS win: then the entity takes AIMS's label, audited and counted.
    /// </summary>
    public async Task<StepResult> AwaitBatchAsync(Guid jobId, int batch, CancellationToken ct = default)
    {
        var orgId = await db.ReadAsync(c => SyncJobStore.StepAsync(c, jobId), ct);
        var tag = new { orgId, job = jobId.ToString(), batch };
        // A job coalesced into an earlier one (an edit's push of the same entity) ends as that one does.
        const string Tagged = """
            sync_queue q LEFT JOIN sync_queue h ON h.id = q.coalesced_into
            WHERE q.org_id = @orgId AND q.payload ? 'fullSync' AND q.payload ->> 'fullSync' = @job AND (q.payload ->> 'batch')::int = @batch
            """;
        var until = time.GetUtcNow() + PushWait;
        while (true)
        {
            await push.ProcessOrganizationAsync(orgId, ct);
            var (open, next) = await db.ReadAsync(c => c.QuerySingleAsync<(long, DateTime?)>(
                $"SELECT count(*), min(coalesce(h.scheduled_at, q.scheduled_at)) FROM {Tagged} AND coalesce(h.status, q.status) IN ('pending', 'processing')",
                tag), ct);
            if (open == 0) break;
            if (time.GetUtcNow() >= until)
                throw new TimeoutException($"{open} AIMS writes of batch {batch} are still queued in the outbox; it keeps retrying them.");
            var wait = next is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) - time.GetUtcNow() : TimeSpan.Zero;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(wait.TotalMilliseconds, 20, 1000)), ct);
        }

        var ctx = await ContextAsync(orgId, ct, withFormat: true);
        return await db.InTransactionAsync(async (c, tx) =>
        {
            var jobs = (await c.QueryAsync<OutboxRow>($"""
                SELECT q.entity_id, q.action, coalesce(h.status, q.status) AS status, q.payload ->> 'articleId' AS article_id,
                       q.payload ->> 'labelCode' AS label_code, coalesce(h.last_error, q.last_error) AS last_error
                FROM {Tagged}
                """, tag, tx)).ToList();
            var items = (await c.QueryAsync<ItemRow>("""
                SELECT article_id, entity_type, entity_id, action, detail::text AS detail FROM sync_job_items WHERE job_id = @jobId AND batch = @batch
                """, new { jobId, batch }, tx)).ToList();
            var local = (await LocalState.LoadAsync(c, orgId, ctx.Mappings, items.Select(i => i.ArticleId).Distinct().ToArray(), tx))
                .ToDictionary(l => l.ArticleId, StringComparer.Ordinal);
            static bool Failed(OutboxRow j) => j.Status is "failed" or "dead";
            int uploaded = 0, errors = 0, taken = 0;
            var bases = new List<(string, string?, Guid?, string, string[])>();
            var baseHashes = new List<(string, string?, Guid?, string, string[])>();
            var deleted = new List<string>();
            foreach (var i in items)
            {
                var mine = i.Action == nameof(PlanAction.DeleteInAims)
                    ? jobs.Where(j => j.Action == SyncJobs.DeleteArticle && j.ArticleId == i.ArticleId).ToList()
                    : jobs.Where(j => j.EntityId == i.EntityId && j.Action != SyncJobs.DeleteArticle).ToList();
                var refused = mine.Where(j => j.Action == SyncJobs.LinkLabel && Failed(j)).ToList();
                if (refused.Count > 0 && IsAimsWins(ctx.Settings.ConflictStrategy) && local.TryGetValue(i.ArticleId, out var held)
                    && refused.Any(j => j.LabelCode == held.Label) && mine.Count(Failed) == refused.Count)
                {
                    // AIMS wins: the entity takes the label AIMS shows for the article (none when it shows none).
                    var shown = JsonSerializer.Deserialize<LabelsDetail>(i.Detail, Json.Options)?.Labels ?? [];
                    if (await ApplyLabelAsync(c, tx, orgId, held, shown.Order(StringComparer.Ordinal).FirstOrDefault()) == LabelTaken.Taken) taken++;
                    else errors++;
                    continue;
                }
                if (mine.Any(Failed)) { errors++; continue; }
                uploaded++;
                if (i.Action == nameof(PlanAction.DeleteInAims)) { deleted.Add(i.ArticleId); continue; }
                // Base = what AIMS now holds, for entities the outbox found unchanged since (synced by the version rule).
                if (!local.TryGetValue(i.ArticleId, out var l) || l.Dirty) continue;
                var labelJobs = mine.Where(j => j.Action is SyncJobs.LinkLabel or SyncJobs.UnlinkLabel).ToList();
                if (labelJobs.Count > 0)
                    bases.Add((l.ArticleId, l.EntityType, l.EntityId, l.Hash, Labels(labelJobs.LastOrDefault(j => j.Action == SyncJobs.LinkLabel)?.LabelCode)));
                else baseHashes.Add((l.ArticleId, l.EntityType, l.EntityId, l.Hash, []));
            }
            await UpsertBaseAsync(c, tx, orgId, bases);
            await UpsertBaseAsync(c, tx, orgId, baseHashes, keepLabels: true);
            await c.ExecuteAsync("DELETE FROM aims_article_base WHERE org_id = @orgId AND article_id = ANY(@deleted)",
                new { orgId, deleted = deleted.ToArray() }, tx);
            return new StepResult(0, uploaded, errors, taken);
        }, ct);
    }

    /// <summary>The label each space or room of these items holds now, share-locked until the caller's commit.</summary>
    private static async Task<Dictionary<Guid, string?>> HeldLabelsAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, IReadOnlyList<ItemRow> items)
    {
        Guid[] Ids(string type) => items.Where(i => i.EntityType == type && i.EntityId is not null).Select(i => i.EntityId!.Value).Distinct().ToArray();
        var rows = await c.QueryAsync<(Guid, string?)>("""
            SELECT id, label_code FROM spaces WHERE org_id = @orgId AND id = ANY(@spaces) ORDER BY id FOR SHARE;
            """, new { orgId, spaces = Ids(EntityTypes.Space) }, tx);
        var rooms = await c.QueryAsync<(Guid, string?)>("""
            SELECT id, label_code FROM conference_rooms WHERE org_id = @orgId AND id = ANY(@rooms) ORDER BY id FOR SHARE;
            """, new { orgId, rooms = Ids(EntityTypes.Conference) }, tx);
        return rows.Concat(rooms).ToDictionary(r => r.Item1, r => r.Item2);
    }

    private static bool IsAimsWins(ConflictStrategy s) => s is ConflictStrategy.AimsWins or ConflictStrategy.ClientWins;

    /// <summary>A batch that still failed after its retries: its entities are marked error with the reason; returns how many.</summary>
    public async Task<StepResult> MarkBatchFailedAsync(Guid jobId, int batch, string reason, CancellationToken ct = default)
    {
        var orgId = await db.ReadAsync(c => SyncJobStore.StepAsync(c, jobId), ct);
        return await db.InTransactionAsync(async (c, tx) =>
        {
            var items = (await c.QueryAsync<ItemRow>("""
                SELECT article_id, entity_type, entity_id, action, '{}' AS detail FROM sync_job_items WHERE job_id = @jobId AND batch = @batch
                """, new { jobId, batch }, tx)).ToList();
            await MarkIdsAsync(c, tx, orgId, items.Where(i => i.EntityId is not null).Select(i => (i.EntityType!, i.EntityId!.Value)).ToList(),
                SyncStatus.Error, reason, null);
            return new StepResult(0, 0, items.Select(i => i.ArticleId).Distinct().Count());
        }, ct);
    }

    /// <summary>
    /// Step 8: entities already in step are marked synced by the outbox's rule (still the version planned, no job of them
    /// open, nothing else planned for them), the base refreshed, and the job completed with its stats.
    /// </summary>
    public async Task<SyncStats> CompleteAsync(Guid jobId, SyncStats stats, CancellationToken ct = default)
    {
        var orgId = await db.ReadAsync(c => SyncJobStore.StepAsync(c, jobId), ct);
        // No AIMS call here: completing must work even while AIMS is failing (the plan stored what it needs).
        await db.InTransactionAsync(async (c, tx) =>
        {
            var inStep = (await c.QueryAsync<ItemRow>("""
                SELECT article_id, entity_type, entity_id, action, detail::text AS detail FROM sync_job_items i
                WHERE job_id = @jobId AND action = 'InStep'
                  AND NOT EXISTS (SELECT 1 FROM sync_job_items o WHERE o.job_id = i.job_id AND o.article_id = i.article_id AND o.action <> 'InStep')
                """, new { jobId }, tx)).Select(i => (Item: i, Detail: JsonSerializer.Deserialize<InStepDetail>(i.Detail, Json.Options)!)).ToList();
            foreach (var g in inStep.GroupBy(i => i.Item.EntityType!).OrderBy(g => g.Key == EntityTypes.Space ? 0 : 1))
                await SyncEntities.MarkSyncedAsync(c, tx, orgId, g.Key, g.Select(i => (i.Item.EntityId!.Value, (int?)i.Detail.Version)).ToList());
            var all = (await c.QueryAsync<ItemRow>("""
                SELECT article_id, entity_type, entity_id, action, detail::text AS detail FROM sync_job_items WHERE job_id = @jobId AND action = 'InStep'
                """, new { jobId }, tx)).Select(i => (Item: i, Detail: JsonSerializer.Deserialize<InStepDetail>(i.Detail, Json.Options)!)).ToList();
            // Base labels are only ever labels AIMS showed: agreed ones replace the base's, others never overwrite it.
            await UpsertBaseAsync(c, tx, orgId, all.Where(i => i.Detail.Labels is not null)
                .Select(i => (i.Item.ArticleId, i.Item.EntityType, i.Item.EntityId, i.Detail.Hash, i.Detail.Labels!)));
            await UpsertBaseAsync(c, tx, orgId, all.Where(i => i.Detail.Labels is null)
                .Select(i => (i.Item.ArticleId, i.Item.EntityType, i.Item.EntityId, i.Detail.Hash, i.Detail.AimsLabels)), keepLabels: true);
            await SyncJobStore.CompleteAsync(c, tx, jobId, stats);
            await c.ExecuteAsync("DELETE FROM sync_job_items WHERE job_id = @jobId", new { jobId }, tx);
        }, ct);
        return stats;
    }

    private static string InStep(LocalEntity l, AimsArticleInfo a)
    {
        var agreed = l.EntityType != EntityTypes.Person && Labels(l.Label).Order().SequenceEqual(a.AssignedLabels.Order());
        return Json.Serialize(new { hash = l.Hash, version = l.Version, labels = agreed ? Labels(l.Label) : null, aimsLabels = a.AssignedLabels.ToArray() });
    }

    public Task FailAsync(Guid jobId, string reason, CancellationToken ct = default) =>
        db.ReadAsync(async c =>
        {
            await SyncJobStore.FailAsync(c, jobId, reason);
            return await c.ExecuteAsync("DELETE FROM sync_job_items WHERE job_id = @jobId", new { jobId });
        }, ct);

    // ---- shared with the pull ----------------------------------------------------------------------------------

    public async Task<SyncContext> ContextAsync(Guid orgId, CancellationToken ct, bool withFormat = true)
    {
        var (settings, _) = await db.ReadAsync(c => SettingsStore.LoadAsync(c, orgId), ct);
        var conn = connections.From(settings.Aims, orgId)
            ?? throw new SyncAbortedException("AIMS is not configured for this organization (settings: aims base URL, company, store, username, password).");
        var format = withFormat ? await aims.GetArticleFormatAsync(conn, ct) : AimsArticleFormat.None;
        return new SyncContext(orgId, conn, settings, ArticleMappings.From(settings, format));
    }

    private async Task<AimsConnection> ConnectionAsync(Guid orgId, CancellationToken ct) => (await ContextAsync(orgId, ct, withFormat: false)).Conn;

    /// <summary>Loads the server side, the base and the queued deletes, and reconciles them with the AIMS articles (pure).</summary>
    public async Task<(SyncPlan Plan, Dictionary<string, LocalEntity> Local, IReadOnlySet<string> PendingDeletes)> ReconcileAsync(
        SyncContext ctx, IReadOnlyList<AimsArticleInfo> articles, CancellationToken ct)
    {
        var (local, bases, pendingDeletes) = await db.ReadAsync(async c =>
        {
            var l = await LocalState.LoadAsync(c, ctx.OrgId, ctx.Mappings);
            var b = (await c.QueryAsync<(string ArticleId, string Hash, string[] Labels, string? EntityType, Guid? EntityId)>(
                "SELECT article_id, hash, labels, entity_type, entity_id FROM aims_article_base WHERE org_id = @orgId", new { orgId = ctx.OrgId }))
                .Select(r => new BaseSide(r.ArticleId, r.Hash, r.Labels, r.EntityType, r.EntityId)).ToList();
            var d = (await c.QueryAsync<string>("""
                SELECT payload->>'articleId' FROM sync_queue
                WHERE org_id = @orgId AND action = 'delete_article' AND status IN ('pending', 'processing') AND payload ? 'articleId'
                """, new { orgId = ctx.OrgId })).ToHashSet(StringComparer.Ordinal);
            return (l, b, d);
        }, ct);
        var aimsSides = articles.Select(a => new AimsSide(a.ArticleId, ArticleHash.Of(a, ctx.Mappings.Format), a.AssignedLabels, a.LastModified)).ToList();
        var plan = Reconciler.Plan(aimsSides, local.Select(l => l.ToSide()).ToList(), bases, pendingDeletes, ctx.Settings.ConflictStrategy,
            time.GetUtcNow());
        return (plan, local.ToDictionary(l => l.ArticleId, StringComparer.Ordinal), pendingDeletes);
    }

    /// <summary>
    /// Takes AIMS-side changes into the server inside the caller's transaction: entity data (version-checked, so an edit
    /// made meanwhile is kept and handled next time), imported articles, labels linked or unlinked in AIMS. Each entity it
    /// touches is marked synced and its base set to what AIMS holds.
    /// </summary>
    public async Task<StepResult> ApplyAsync(NpgsqlConnection c, NpgsqlTransaction tx, SyncContext ctx,
        IReadOnlyList<(PlanItem Item, AimsArticleInfo Aims)> work)
    {
        if (work.Count == 0) return new StepResult();
        var orgId = ctx.OrgId;
        var local = (await LocalState.LoadAsync(c, orgId, ctx.Mappings, work.Select(w => w.Item.ArticleId).Distinct().ToArray(), tx))
            .ToDictionary(l => l.ArticleId, StringComparer.Ordinal);
        int downloaded = 0, errors = 0, taken = 0;
        var bases = new List<(string, string?, Guid?, string, string[])>();
        foreach (var (item, a) in work)
        {
            var hash = ArticleHash.Of(a, ctx.Mappings.Format);
            switch (item.Action)
            {
                case PlanAction.ApplyToLocal when local.TryGetValue(item.ArticleId, out var l):
                    if (await ApplyDataAsync(c, tx, orgId, l, ArticleFields.FromAims(l, a, ctx.Mappings))) downloaded++;
                    bases.Add((a.ArticleId, l.EntityType, l.EntityId, hash, [.. a.AssignedLabels]));
                    break;
                case PlanAction.Import:
                    if (await ImportAsync(c, tx, orgId, a, ctx.Mappings) is { } created)
                    {
                        downloaded++;
                        bases.Add((a.ArticleId, created.Type, created.Id, hash, [.. a.AssignedLabels]));
                    }
                    break;
                case PlanAction.ApplyLabel when local.TryGetValue(item.ArticleId, out var l):
                    var label = a.AssignedLabels.Order(StringComparer.Ordinal).FirstOrDefault();
                    switch (await ApplyLabelAsync(c, tx, orgId, l, label))
                    {
                        case LabelTaken.Taken: downloaded++; taken++; break;
                        case LabelTaken.HeldElsewhere: errors++; break;
                    }
                    bases.Add((a.ArticleId, l.EntityType, l.EntityId, hash, [.. a.AssignedLabels]));
                    break;
            }
        }
        await UpsertBaseAsync(c, tx, orgId, bases);
        return new StepResult(downloaded, 0, errors, taken);
    }

    private static async Task<bool> ApplyDataAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, LocalEntity l, ArticleFields.Changes changes)
    {
        const string Synced = "version = version + 1, updated_at = now(), sync_status = 'synced', last_synced_at = now(), sync_error = NULL";
        if (!changes.Any) return false;
        var n = l.EntityType switch
        {
            EntityTypes.Space => await c.ExecuteAsync($"UPDATE spaces SET data = @data::jsonb, {Synced} WHERE org_id = @orgId AND id = @id AND version = @version",
                new { orgId, id = l.EntityId, version = l.Version, data = Json.Serialize(changes.Data) }, tx),
            EntityTypes.Person => await c.ExecuteAsync($"UPDATE people SET data = @data::jsonb, {Synced} WHERE org_id = @orgId AND id = @id AND version = @version",
                new { orgId, id = l.EntityId, version = l.Version, data = Json.Serialize(changes.Data) }, tx),
            _ => await c.ExecuteAsync($"UPDATE conference_rooms SET room_name = @name, {Synced} WHERE org_id = @orgId AND id = @id AND version = @version",
                new { orgId, id = l.EntityId, version = l.Version, name = changes.RoomName![..Math.Min(100, changes.RoomName!.Length)] }, tx),
        };
        if (changes.Person is { } person && l.Occupant is { } o && !person.OrderBy(kv => kv.Key).SequenceEqual(o.Data.OrderBy(kv => kv.Key)))
            n += await c.ExecuteAsync($"UPDATE people SET data = @data::jsonb, {Synced} WHERE org_id = @orgId AND id = @id AND version = @version",
                new { orgId, id = o.Id, version = o.Version, data = Json.Serialize(person) }, tx);
        return n > 0;
    }

    /// <summary>An article only AIMS has: a space (plain id) or a room ("C…") is created; a POOL id with no person is left alone.</summary>
    private async Task<(string Type, Guid Id)?> ImportAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, AimsArticleInfo a, ArticleMappings m)
    {
        var pulled = ArticleMapper.Read(a, m);
        (string Type, Guid Id)? created = pulled switch
        {
            PulledSpace s => (EntityTypes.Space, await c.ExecuteScalarAsync<Guid>("""
                INSERT INTO spaces (org_id, external_id, data, sync_status, last_synced_at) VALUES (@orgId, @id, @data::jsonb, 'synced', now())
                RETURNING id
                """, new { orgId, id = s.ExternalId, data = Json.Serialize(s.Data.Where(kv => kv.Key != m.Format.Key("articleName")).ToDictionary()) }, tx)),
            PulledRoom r => (EntityTypes.Conference, await c.ExecuteScalarAsync<Guid>("""
                INSERT INTO conference_rooms (org_id, external_id, room_name, sync_status, last_synced_at) VALUES (@orgId, @id, @name, 'synced', now())
                RETURNING id
                """, new { orgId, id = r.ExternalId, name = r.RoomName is { Length: > 0 } n ? n[..Math.Min(100, n.Length)] : $"Conference {r.ExternalId}" }, tx)),
            _ => null,
        };
        if (created is null)
        {
            log.LogInformation("AIMS article {Article} has no person on the server; not imported", a.ArticleId);
            return null;
        }
        if (a.AssignedLabels.Order(StringComparer.Ordinal).FirstOrDefault() is { } label)
            await ApplyLabelAsync(c, tx, orgId, new LocalEntity(a.ArticleId, created.Value.Type, created.Value.Id, 1, new AimsArticle(a.ArticleId, "", "", new Dictionary<string, string>()),
                "", null, false, DateTimeOffset.MinValue, [], null), label);
        return created;
    }

    /// <summary>Audit action of every label the sync takes from AIMS into an entity (old and new label code).</summary>
    public const string LabelFromAimsAudit = "sync_label_from_aims";

    private enum LabelTaken { Same, Taken, HeldElsewhere }

    /// <summary>
    /// The entity now holds the label AIMS shows (null: none), audited; a label another entity holds is left
    /// (<see cref="LabelTaken.HeldElsewhere"/>).
    /// </summary>
    private static async Task<LabelTaken> ApplyLabelAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, LocalEntity l, string? label)
    {
        if (l.EntityType == EntityTypes.Person || l.Label == label) return LabelTaken.Same;
        var table = l.EntityType == EntityTypes.Space ? "spaces" : "conference_rooms";
        try
        {
            await LabelAssignments.ChangeAsync(c, tx, orgId, l.EntityType, l.EntityId, l.Label, label);
        }
        catch (ApiException e) when (e.Status == 409)
        {
            return LabelTaken.HeldElsewhere;
        }
        await c.ExecuteAsync($"""
            UPDATE {table} SET label_code = @label, version = version + 1, updated_at = now(), sync_status = 'synced', last_synced_at = now(), sync_error = NULL
            WHERE org_id = @orgId AND id = @id
            """, new { orgId, id = l.EntityId, label }, tx);
        await AuditLog.WriteAsync(c, tx, new AuditContext(orgId, null, null, "sync-engine"), LabelFromAimsAudit, l.EntityType, l.EntityId,
            new { labelCode = l.Label }, new { labelCode = label });
        return LabelTaken.Taken;
    }

    public static async Task RecordConflictsAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid jobId, SyncPlan plan,
        ConflictStrategy strategy, IReadOnlyDictionary<string, LocalEntity> local, IReadOnlyDictionary<string, AimsArticleInfo> aimsById)
    {
        if (plan.Conflicts.Count == 0) return;
        var rows = plan.Conflicts.Select(k => new
        {
            orgId, jobId, k.ArticleId, k.EntityType, k.EntityId, Kind = k.Kind.ToString().ToLowerInvariant(),
            Strategy = EnumNames.Name(strategy), Winner = k.Winner.ToString().ToLowerInvariant(),
            Server = local.TryGetValue(k.ArticleId, out var l) ? Json.Serialize(new { l.Article.ArticleName, l.Article.Data, label = l.Label }) : null,
            Aims = aimsById.TryGetValue(k.ArticleId, out var a) ? Json.Serialize(new { a.ArticleName, a.Data, labels = a.AssignedLabels }) : null,
        });
        await c.ExecuteAsync("""
            INSERT INTO sync_conflicts (org_id, job_id, article_id, entity_type, entity_id, kind, strategy, winner, server_value, aims_value)
            VALUES (@orgId, @jobId, @ArticleId, @EntityType, @EntityId, @Kind, @Strategy, @Winner, @Server::jsonb, @Aims::jsonb)
            """, rows, tx);
    }

    /// <summary>Sets sync_status on the entities behind these articles (a space's occupant with it); notAfter skips rows edited since.</summary>
    public static Task MarkAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, IReadOnlyCollection<LocalEntity> entities, SyncStatus status,
        string? error, DateTime? notAfter) =>
        MarkIdsAsync(c, tx, orgId, entities.Select(e => (e.EntityType, e.EntityId)).ToList(), status, error, notAfter);

    private static async Task MarkIdsAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, IReadOnlyCollection<(string Type, Guid Id)> ids,
        SyncStatus status, string? error, DateTime? notAfter)
    {
        if (ids.Count == 0) return;
        var args = new
        {
            orgId, status = status.Text(), error, notAfter,
            spaces = ids.Where(i => i.Type == EntityTypes.Space).Select(i => i.Id).ToArray(),
            people = ids.Where(i => i.Type == EntityTypes.Person).Select(i => i.Id).ToArray(),
            rooms = ids.Where(i => i.Type == EntityTypes.Conference).Select(i => i.Id).ToArray(),
        };
        const string Set = """
            SET sync_status = @status, sync_error = @error,
                last_synced_at = CASE WHEN @status = 'synced' THEN now() ELSE last_synced_at END
            """;
        const string Fresh = "(@notAfter::timestamptz IS NULL OR updated_at <= @notAfter)";
        await c.ExecuteAsync($"""
            UPDATE spaces {Set} WHERE org_id = @orgId AND id = ANY(@spaces) AND {Fresh};
            UPDATE people {Set} WHERE org_id = @orgId AND (id = ANY(@people) OR assigned_space_id = ANY(@spaces)) AND {Fresh};
            UPDATE conference_rooms {Set} WHERE org_id = @orgId AND id = ANY(@rooms) AND {Fresh};
            """, args, tx);
    }

    public static Task UpsertBaseAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId,
        IEnumerable<(string ArticleId, string? EntityType, Guid? EntityId, string Hash, string[] Labels)> rows, bool keepLabels = false)
    {
        var list = rows.ToList();
        if (list.Count == 0) return Task.CompletedTask;
        return c.ExecuteAsync($"""
            INSERT INTO aims_article_base (org_id, article_id, entity_type, entity_id, hash, labels, synced_at)
            SELECT @orgId, t.a, t.et, t.eid, t.h, CASE WHEN t.l = '' THEN ARRAY[]::text[] ELSE string_to_array(t.l, chr(31)) END, now()
            FROM unnest(@articles, @types, @entities, @hashes, @labels) AS t(a, et, eid, h, l)
            ON CONFLICT (org_id, article_id) DO UPDATE SET entity_type = excluded.entity_type, entity_id = excluded.entity_id,
                hash = excluded.hash, synced_at = now(){(keepLabels ? "" : ", labels = excluded.labels")}
            """, new
        {
            orgId, articles = list.Select(r => r.ArticleId).ToArray(), types = list.Select(r => r.EntityType).ToArray(),
            entities = list.Select(r => r.EntityId).ToArray(), hashes = list.Select(r => r.Hash).ToArray(),
            labels = list.Select(r => string.Join('\u001f', r.Labels)).ToArray(),
        }, tx);
    }

    public static string[] Labels(string? label) => label is null ? [] : [label];

    /// <summary>Push and PushLabel: the server's label (Label) and the labels AIMS showed (Labels).</summary>
    private sealed record LabelsDetail(string? Label, string[]? Labels);
    /// <summary>InStep: the entity's version and hash; Labels when both sides show the same labels (null: the label item decides).</summary>
    private sealed record InStepDetail(string Hash, int Version, string[]? Labels, string[] AimsLabels);

    private sealed class OutboxRow
    {
        public Guid EntityId { get; set; } public string Action { get; set; } = ""; public string Status { get; set; } = "";
        public string? ArticleId { get; set; } public string? LabelCode { get; set; } public string? LastError { get; set; }
    }

    private sealed class ItemRow
    {
        public string ArticleId { get; set; } = ""; public string? EntityType { get; set; } public Guid? EntityId { get; set; }
        public string Action { get; set; } = ""; public string Detail { get; set; } = "{}";
    }
}
