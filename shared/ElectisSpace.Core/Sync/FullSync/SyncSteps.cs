using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Labels;
using ElectisSpace.Core.Settings;
using ElectisSpace.Core.Sync.Jobs;
using ElectisSpace.Core.Sync.Reconcile;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.FullSync;

public sealed record PlanSummary(int Read, int Conflicts, int Batches, int ToApply);
public sealed record StepResult(int Downloaded = 0, int Uploaded = 0, int Errors = 0);

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
public sealed class SyncSteps(Db db, AimsClient aims, AimsConnections connections, TimeProvider time, ILogger<SyncSteps> log)
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
                PlanAction.PushLabel => Json.Serialize(new { labels = item.Labels }),
                PlanAction.InStep => Json.Serialize(new { hash = local[item.ArticleId].Hash, labels = Labels(local[item.ArticleId].Label) }),
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

    /// <summary>Step 6 (one batch of ≤ 500): write the server's articles and labels to AIMS and mark them synced.</summary>
    public async Task<StepResult> PushBatchAsync(Guid jobId, int batch, CancellationToken ct = default)
    {
        var orgId = await db.ReadAsync(c => SyncJobStore.StepAsync(c, jobId), ct);
        var ctx = await ContextAsync(orgId, ct, withFormat: true);
        var items = (await db.ReadAsync(c => c.QueryAsync<ItemRow>("""
            SELECT article_id, entity_type, entity_id, action, detail::text AS detail FROM sync_job_items
            WHERE job_id = @jobId AND batch = @batch ORDER BY article_id
            """, new { jobId, batch }), ct)).ToList();
        var (loadedAt, local) = await db.ReadAsync(async c =>
        {
            var at = await c.ExecuteScalarAsync<DateTime>("SELECT clock_timestamp()");
            return (at, await LocalState.LoadAsync(c, orgId, ctx.Mappings, items.Select(i => i.ArticleId).Distinct().ToArray()));
        }, ct);
        var byId = local.ToDictionary(l => l.ArticleId, StringComparer.Ordinal);

        var toPush = items.Where(i => i.Action == nameof(PlanAction.Push) && byId.ContainsKey(i.ArticleId)).Select(i => byId[i.ArticleId]).ToList();
        var toDelete = items.Where(i => i.Action == nameof(PlanAction.DeleteInAims)).Select(i => i.ArticleId).ToList();
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);

        if (toPush.Count > 0)
            foreach (var result in await aims.UpsertArticlesAsync(ctx.Conn, toPush.Select(l => l.Article).ToList(), ct))
                if (result is { InvalidCount: > 0, BatchId: { } batchId })
                    foreach (var e in await aims.ListValidationErrorsAsync(ctx.Conn, batchId, ct))
                        failed[e.ArticleId] = $"AIMS rejected the article: {e.Error}";
        if (toDelete.Count > 0) await aims.DeleteArticlesAsync(ctx.Conn, toDelete, ct);

        // A pushed article gets its label linked too (it may be new in AIMS, or have lost its link with it).
        var labelled = toPush.Where(l => l.Label is not null).ToList();
        var unlink = new List<string>();
        foreach (var item in items.Where(i => i.Action == nameof(PlanAction.PushLabel)))
        {
            if (!byId.TryGetValue(item.ArticleId, out var l)) continue;
            var shown = JsonSerializer.Deserialize<LabelsDetail>(item.Detail, Json.Options)?.Labels ?? [];
            unlink.AddRange(shown.Where(s => s != l.Label));
            labelled.Add(l);
        }
        if (unlink.Count > 0) await aims.UnlinkLabelsAsync(ctx.Conn, unlink.Distinct().ToList(), ct);
        foreach (var l in labelled.Where(l => l.Label is not null && !failed.ContainsKey(l.ArticleId)))
        {
            try { await aims.LinkLabelAsync(ctx.Conn, l.Label!, l.ArticleId, null, ct); }
            catch (AimsException e) when (!e.IsRetryable) { failed[l.ArticleId] = $"AIMS refused to link label {l.Label}: {e.Message}"; }
        }

        var done = toPush.Concat(labelled).Where(l => !failed.ContainsKey(l.ArticleId)).DistinctBy(l => l.ArticleId).ToList();
        await db.InTransactionAsync(async (c, tx) =>
        {
            await MarkAsync(c, tx, orgId, done, SyncStatus.Synced, null, loadedAt);
            foreach (var (articleId, error) in failed)
                if (byId.TryGetValue(articleId, out var l)) await MarkAsync(c, tx, orgId, [l], SyncStatus.Error, error, null);
            await UpsertBaseAsync(c, tx, orgId, done.Select(l => (l.ArticleId, (string?)l.EntityType, (Guid?)l.EntityId, l.Hash, Labels(l.Label))));
            await c.ExecuteAsync("DELETE FROM aims_article_base WHERE org_id = @orgId AND article_id = ANY(@toDelete)",
                new { orgId, toDelete = toDelete.ToArray() }, tx);
        }, ct);
        return new StepResult(0, toPush.Count(p => !failed.ContainsKey(p.ArticleId)) + toDelete.Count
            + labelled.Count(l => !failed.ContainsKey(l.ArticleId) && !toPush.Contains(l)), failed.Count);
    }

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

    /// <summary>Step 7: entities already in step are marked synced, the base refreshed, and the job completed with its stats.</summary>
    public async Task<SyncStats> CompleteAsync(Guid jobId, SyncStats stats, CancellationToken ct = default)
    {
        var orgId = await db.ReadAsync(c => SyncJobStore.StepAsync(c, jobId), ct);
        // No AIMS call here: completing must work even while AIMS is failing (the plan stored what it needs).
        await db.InTransactionAsync(async (c, tx) =>
        {
            var plannedAt = await c.ExecuteScalarAsync<DateTime?>("SELECT planned_at FROM sync_jobs WHERE id = @jobId", new { jobId }, tx);
            var inStep = (await c.QueryAsync<ItemRow>("""
                SELECT article_id, entity_type, entity_id, action, detail::text AS detail FROM sync_job_items WHERE job_id = @jobId AND action = 'InStep'
                """, new { jobId }, tx)).ToList();
            await MarkIdsAsync(c, tx, orgId, inStep.Select(i => (i.EntityType!, i.EntityId!.Value)).ToList(), SyncStatus.Synced, null, plannedAt);
            await UpsertBaseAsync(c, tx, orgId, inStep.Select(i =>
            {
                var d = JsonSerializer.Deserialize<InStepDetail>(i.Detail, Json.Options)!;
                return (i.ArticleId, i.EntityType, i.EntityId, d.Hash, d.Labels ?? []);
            }), keepLabels: true);
            await SyncJobStore.CompleteAsync(c, tx, jobId, stats);
            await c.ExecuteAsync("DELETE FROM sync_job_items WHERE job_id = @jobId", new { jobId }, tx);
        }, ct);
        return stats;
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
        int downloaded = 0, errors = 0;
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
                    if (await ApplyLabelAsync(c, tx, orgId, l, label)) downloaded++;
                    else errors++;
                    bases.Add((a.ArticleId, l.EntityType, l.EntityId, hash, [.. a.AssignedLabels]));
                    break;
            }
        }
        await UpsertBaseAsync(c, tx, orgId, bases);
        return new StepResult(downloaded, 0, errors);
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

    /// <summary>The entity now holds the label AIMS shows (null: unlinked in AIMS). A label another entity holds is left (false).</summary>
    private static async Task<bool> ApplyLabelAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, LocalEntity l, string? label)
    {
        if (l.EntityType == EntityTypes.Person || l.Label == label) return true;
        var table = l.EntityType == EntityTypes.Space ? "spaces" : "conference_rooms";
        try
        {
            await LabelAssignments.ChangeAsync(c, tx, orgId, l.EntityType, l.EntityId, l.Label, label);
        }
        catch (ApiException e) when (e.Status == 409)
        {
            return false;
        }
        await c.ExecuteAsync($"""
            UPDATE {table} SET label_code = @label, version = version + 1, updated_at = now(), sync_status = 'synced', last_synced_at = now(), sync_error = NULL
            WHERE org_id = @orgId AND id = @id
            """, new { orgId, id = l.EntityId, label }, tx);
        return true;
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

    private sealed record LabelsDetail(string[]? Labels);
    private sealed record InStepDetail(string Hash, string[]? Labels);

    private sealed class ItemRow
    {
        public string ArticleId { get; set; } = ""; public string? EntityType { get; set; } public Guid? EntityId { get; set; }
        public string Action { get; set; } = ""; public string Detail { get; set; } = "{}";
    }
}
