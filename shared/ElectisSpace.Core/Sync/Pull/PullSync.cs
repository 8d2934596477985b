using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Settings;
using ElectisSpace.Core.Sync.Alive;
using ElectisSpace.Core.Sync.FullSync;
using ElectisSpace.Core.Sync.Jobs;
using ElectisSpace.Core.Sync.Reconcile;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Pull;

/// <summary>
/// The scheduled pull (AIMS → server): reads every AIMS article with its linked labels (in pages), reconciles it with the
/// server side under the organization's conflict strategy, takes AIMS-side changes in (changed data, articles created in
/// AIMS, labels linked/unlinked there), records conflicts, and — for what the server must win or repair (an article
/// deleted in AIMS, a drifted one) — queues the ordinary outbox work so the push path writes it. One pull per
/// organization at a time across instances: a PostgreSQL advisory lock held for the run, plus the sync_jobs unique index.
/// </summary>
public sealed class PullSync(Db db, SyncSteps steps, AimsClient aims, AimsAliveStore availability, ServerSettings settings, TimeProvider time,
    ILogger<PullSync> log)
{
    /// <summary>Advisory-lock class for pulls (the second key is the organization).</summary>
    private const int LockClass = 0x5E57_0020;

    /// <summary>Runs one pull; null when another pull or a full sync of the organization is already running.</summary>
    public async Task<SyncJobDto?> RunAsync(Guid orgId, string trigger, Guid? requestedBy = null, CancellationToken ct = default)
    {
        await using var lockConn = await db.DataSource.OpenConnectionAsync(ct);
        if (!await lockConn.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@LockClass, hashtext(@org))", new { LockClass, org = orgId.ToString() }))
            return null;
        try
        {
            if (await lockConn.ExecuteScalarAsync<bool>("""
                SELECT EXISTS (SELECT 1 FROM sync_jobs WHERE org_id = @orgId AND type = 'full' AND status IN ('queued', 'running'))
                """, new { orgId })) return null;
            var (jobId, created) = await SyncJobStore.CreateAsync(db, orgId, SyncJobTypes.Pull, trigger, requestedBy, ct);
            if (!created) return null;
            await SyncJobStore.MarkRunningAsync(lockConn, jobId);
            try
            {
                // A pull killed mid-run (a recycled instance) stops beating; the sweeper then ends its job.
                await using var heartbeat = JobHeartbeat.Start(db, jobId, settings.Sync.Lease, log);
                await PullAsync(orgId, jobId, ct);
            }
            catch (Exception e) when (e is AimsException or SyncAbortedException)
            {
                log.LogWarning("Pull of organization {OrgId} failed: {Reason}", orgId, e.Message);
                await SyncJobStore.FailAsync(lockConn, jobId, e.Message);
            }
            catch (OperationCanceledException)
            {
                await SyncJobStore.FailAsync(lockConn, jobId, "The host stopped during the pull.");
                throw;
            }
            catch (Exception e)
            {
                await SyncJobStore.FailAsync(lockConn, jobId, "The pull failed unexpectedly.");
                log.LogError(e, "Pull of organization {OrgId} failed", orgId);
            }
            return await SyncJobStore.GetAsync(lockConn, orgId, jobId);
        }
        finally
        {
            await lockConn.ExecuteAsync("SELECT pg_advisory_unlock(@LockClass, hashtext(@org))", new { LockClass, org = orgId.ToString() });
        }
    }

    private async Task PullAsync(Guid orgId, Guid jobId, CancellationToken ct)
    {
        var ctx = await steps.ContextAsync(orgId, ct);
        var articles = await aims.ListArticleInfoAsync(ctx.Conn, ct);
        var (plan, local, pendingDeletes) = await steps.ReconcileAsync(ctx, articles, ct);
        var aimsById = articles.ToDictionary(a => a.ArticleId, StringComparer.Ordinal);
        var work = plan.Items.Where(i => i.Action is PlanAction.ApplyToLocal or PlanAction.Import or PlanAction.ApplyLabel)
            .Select(i => (i, aimsById[i.ArticleId])).ToList();

        await db.InTransactionAsync(async (c, tx) =>
        {
            var applied = await steps.ApplyAsync(c, tx, ctx, work);
            var queued = await QueueServerSideAsync(c, tx, orgId, plan, local, pendingDeletes);
            await SyncSteps.RecordConflictsAsync(c, tx, orgId, jobId, plan, ctx.Settings.ConflictStrategy, local, aimsById);
            // Entities already in step: marked synced (unless edited meanwhile: dirty ones stay for the push path) and the base refreshed.
            var inStep = plan.Of(PlanAction.InStep).Select(i => local[i.ArticleId]).Where(l => !l.Dirty).ToList();
            await SyncSteps.MarkAsync(c, tx, orgId, inStep, SyncStatus.Synced, null, time.GetUtcNow().UtcDateTime);
            await SyncSteps.UpsertBaseAsync(c, tx, orgId, plan.Of(PlanAction.InStep).Select(i => local[i.ArticleId])
                .Select(l => (l.ArticleId, (string?)l.EntityType, (Guid?)l.EntityId, l.Hash, SyncSteps.Labels(l.Label))), keepLabels: true);
            await SyncJobStore.CompleteAsync(c, tx, jobId,
                new SyncStats(applied.Downloaded, queued, plan.Conflicts.Count, applied.Errors, articles.Count));
        }, ct);
    }

    /// <summary>
    /// Server-side work the pull found (repairs, drift, server-won conflicts) goes to the outbox like any change. Dirty
    /// entities already have their outbox rows, so only clean ones are queued. Returns how many rows were queued.
    /// </summary>
    private static async Task<int> QueueServerSideAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, SyncPlan plan,
        IReadOnlyDictionary<string, LocalEntity> local, IReadOnlySet<string> pendingDeletes)
    {
        var queued = 0;
        foreach (var item in plan.Items)
        {
            switch (item.Action)
            {
                case PlanAction.Push when local.TryGetValue(item.ArticleId, out var l) && !l.Dirty:
                    await Outbox.EnqueueAsync(c, tx, orgId, l.EntityType, l.EntityId, SyncJobs.UpsertArticle);
                    if (l.Label is { } label)
                        await Outbox.EnqueueAsync(c, tx, orgId, l.EntityType, l.EntityId, SyncJobs.LinkLabel,
                            new { labelCode = label, articleId = l.ArticleId, templateName = (string?)null });
                    queued++;
                    break;
                case PlanAction.PushLabel when local.TryGetValue(item.ArticleId, out var l) && !l.Dirty:
                    foreach (var shown in (item.Labels ?? []).Where(x => x != l.Label))
                        await Outbox.EnqueueAsync(c, tx, orgId, l.EntityType, l.EntityId, SyncJobs.UnlinkLabel, new { labelCode = shown });
                    if (l.Label is { } own)
                        await Outbox.EnqueueAsync(c, tx, orgId, l.EntityType, l.EntityId, SyncJobs.LinkLabel,
                            new { labelCode = own, articleId = l.ArticleId, templateName = (string?)null });
                    queued++;
                    break;
                case PlanAction.DeleteInAims when !pendingDeletes.Contains(item.ArticleId):
                    await Outbox.EnqueueAsync(c, tx, orgId, item.EntityType ?? EntityTypes.Space, item.EntityId ?? Guid.Empty, SyncJobs.DeleteArticle,
                        new { articleId = item.ArticleId });
                    queued++;
                    break;
            }
        }
        return queued;
    }

    /// <summary>
    /// The pull timer's tick: every organization with AIMS settings whose pullIntervalMinutes have passed since its last
    /// pull, and whose AIMS is not down, is pulled (one after the other; other instances skip what is locked).
    /// </summary>
    public async Task<int> RunDueAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var orgs = await db.ReadAsync(c => c.QueryAsync<(Guid Id, string Settings, DateTime? LastPull)>("""
            SELECT o.id, o.settings::text,
                   (SELECT max(created_at) FROM sync_jobs j WHERE j.org_id = o.id AND j.type = 'pull') AS last_pull
            FROM organizations o WHERE o.settings ? 'aims'
            """), ct);
        var ran = 0;
        foreach (var (id, json, lastPull) in orgs)
        {
            var settings = SettingsStore.Parse(json);
            if (settings.Aims.Company is null || settings.Aims.PasswordCipher is null) continue;
            if (lastPull is { } last && new DateTimeOffset(DateTime.SpecifyKind(last, DateTimeKind.Utc)).AddMinutes(settings.PullIntervalMinutes) > now.AddSeconds(5))
                continue;
            if (await availability.IsDownAsync(id, ct)) continue;
            if (await RunAsync(id, "timer", null, ct) is not null) ran++;
        }
        return ran;
    }
}
