using ElectisSpace.Core.Settings;

namespace ElectisSpace.Core.Sync.Reconcile;

/// <summary>An article as AIMS holds it now (read in pages). Hash is <see cref="ArticleHash"/> of its content.</summary>
public sealed record AimsSide(string ArticleId, string Hash, IReadOnlyList<string> Labels, DateTimeOffset? LastModified);

/// <summary>
/// An article as the server would write it now, and the entity behind it. Dirty: the entity changed since it was last
/// synced (sync_status is not synced). UpdatedAt: its last change (newest-wins compares it with AIMS's lastModified).
/// Label: the label the entity holds (spaces and rooms; null for people).
/// </summary>
public sealed record LocalSide(string ArticleId, string EntityType, Guid EntityId, string Hash, string? Label, bool Dirty,
    DateTimeOffset UpdatedAt, bool HasLabels = true);

/// <summary>What both sides held when they last agreed (aims_article_base).</summary>
public sealed record BaseSide(string ArticleId, string Hash, IReadOnlyList<string> Labels, string? EntityType, Guid? EntityId);

public enum PlanAction
{
    /// <summary>Both sides already agree: mark the entity synced and refresh the base.</summary>
    InStep,
    /// <summary>Write the server's article to AIMS.</summary>
    Push,
    /// <summary>Remove the article from AIMS (deleted on the server since the last sync).</summary>
    DeleteInAims,
    /// <summary>Take AIMS's article data into the entity.</summary>
    ApplyToLocal,
    /// <summary>Create an entity for an article that only AIMS has and the server never had.</summary>
    Import,
    /// <summary>Link the server's label to the article in AIMS (Label), unlinking the others AIMS shows (Labels).</summary>
    PushLabel,
    /// <summary>Take AIMS's label into the entity (Label, null = unlinked in AIMS).</summary>
    ApplyLabel,
}

public sealed record PlanItem(string ArticleId, PlanAction Action, string? EntityType = null, Guid? EntityId = null,
    string? Label = null, IReadOnlyList<string>? Labels = null);

public enum ConflictKind { Data, Label, Deleted }
public enum Side { Server, Aims }

public sealed record Conflict(string ArticleId, ConflictKind Kind, Side Winner, string? EntityType, Guid? EntityId);

public sealed record SyncPlan(IReadOnlyList<PlanItem> Items, IReadOnlyList<Conflict> Conflicts)
{
    public IEnumerable<PlanItem> Of(PlanAction action) => Items.Where(i => i.Action == action);
}

/// <summary>
/// Reconcile: AIMS now + server now + the last agreed base → a plan. PURE (no I/O, no clock: "now" is passed in), so every
/// strategy × difference is unit-tested and the orchestration replays it deterministically.
/// <list type="bullet">
/// <item>AIMS changed = its content differs from the base (no base: AIMS differs while the entity is clean, so it can only
/// have come from AIMS). Server changed = the entity is dirty. Both = a conflict, resolved by the strategy and recorded.</item>
/// <item>Existence: the server owns what exists. Missing in AIMS → pushed (an article deleted in AIMS is repaired).
/// Missing on the server with a base (or a queued delete) → deleted locally, so deleted in AIMS (aims-wins keeps AIMS's
/// edited copy when AIMS also changed it). Missing on the server and never synced → created in AIMS: imported.</item>
/// <item>Labels are compared as sets, with their own base, by the same rules; the base only ever holds labels AIMS
/// showed, so a label AIMS never linked is never taken as unlinked in AIMS.</item>
/// </list>
/// </summary>
public static class Reconciler
{
    public static SyncPlan Plan(IReadOnlyCollection<AimsSide> aims, IReadOnlyCollection<LocalSide> local, IReadOnlyCollection<BaseSide> bases,
        IReadOnlySet<string> pendingDeletes, ConflictStrategy strategy, DateTimeOffset now)
    {
        var aimsById = aims.ToDictionary(a => a.ArticleId, StringComparer.Ordinal);
        var localById = local.ToDictionary(l => l.ArticleId, StringComparer.Ordinal);
        var baseById = bases.ToDictionary(b => b.ArticleId, StringComparer.Ordinal);
        var items = new List<PlanItem>();
        var conflicts = new List<Conflict>();

        // Sorted, so the plan (and everything replayed from it) comes out in the same order every time.
        var ids = aimsById.Keys.Union(localById.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            aimsById.TryGetValue(id, out var a);
            localById.TryGetValue(id, out var l);
            baseById.TryGetValue(id, out var b);
            if (l is not null && a is not null) Both(l, a, b, strategy, now, items, conflicts);
            else if (l is not null) items.Add(new PlanItem(id, PlanAction.Push, l.EntityType, l.EntityId, l.Label));
            else if (a is not null) AimsOnly(a, b, pendingDeletes.Contains(id), strategy, items, conflicts);
        }
        return new SyncPlan(items, conflicts);
    }

    private static void Both(LocalSide l, AimsSide a, BaseSide? b, ConflictStrategy strategy, DateTimeOffset now,
        List<PlanItem> items, List<Conflict> conflicts)
    {
        // Content.
        if (l.Hash == a.Hash) items.Add(new PlanItem(l.ArticleId, PlanAction.InStep, l.EntityType, l.EntityId));
        else
        {
            var aimsChanged = b is not null ? b.Hash != a.Hash : !l.Dirty;
            var winner = Decide(aimsChanged, l.Dirty, strategy, l.UpdatedAt, a.LastModified ?? now);
            if (aimsChanged && l.Dirty) conflicts.Add(new Conflict(l.ArticleId, ConflictKind.Data, winner, l.EntityType, l.EntityId));
            items.Add(new PlanItem(l.ArticleId, winner == Side.Aims ? PlanAction.ApplyToLocal : PlanAction.Push, l.EntityType, l.EntityId));
        }

        // Labels (spaces and rooms hold at most one; a person's article shows through its space).
        if (!l.HasLabels) return;
        var localLabels = l.Label is null ? [] : new[] { l.Label };
        if (SameSet(localLabels, a.Labels)) return;
        // Without a base, AIMS showing no label is no AIMS change: it can't have unlinked what it never showed (a label
        // AIMS refused or never saw). The server's label is pushed, and a refusal fails the entity with the reason.
        var aimsLabelsChanged = b is not null ? !SameSet(b.Labels, a.Labels) : !l.Dirty && a.Labels.Count > 0;
        var localLabelsChanged = b is not null ? !SameSet(b.Labels, localLabels) : l.Dirty;
        if (!aimsLabelsChanged && !localLabelsChanged) localLabelsChanged = true; // drifted: the server's view is restored
        var labelWinner = Decide(aimsLabelsChanged, localLabelsChanged, strategy, l.UpdatedAt, a.LastModified ?? now);
        if (aimsLabelsChanged && localLabelsChanged)
            conflicts.Add(new Conflict(l.ArticleId, ConflictKind.Label, labelWinner, l.EntityType, l.EntityId));
        items.Add(labelWinner == Side.Aims
            ? new PlanItem(l.ArticleId, PlanAction.ApplyLabel, l.EntityType, l.EntityId, a.Labels.Order(StringComparer.Ordinal).FirstOrDefault(), a.Labels)
            : new PlanItem(l.ArticleId, PlanAction.PushLabel, l.EntityType, l.EntityId, l.Label, a.Labels));
    }

    private static void AimsOnly(AimsSide a, BaseSide? b, bool deleteQueued, ConflictStrategy strategy, List<PlanItem> items, List<Conflict> conflicts)
    {
        if (b is null && !deleteQueued)
        {
            items.Add(new PlanItem(a.ArticleId, PlanAction.Import, Labels: a.Labels,
                Label: a.Labels.Order(StringComparer.Ordinal).FirstOrDefault()));
            return;
        }
        // Deleted on the server. If AIMS edited it since, that is a conflict; only aims-wins keeps AIMS's copy
        // (the server has no deletion time, so newest-wins keeps the server's decision).
        var aimsChanged = b is not null && b.Hash != a.Hash;
        if (aimsChanged)
        {
            var winner = IsAimsWins(strategy) ? Side.Aims : Side.Server;
            conflicts.Add(new Conflict(a.ArticleId, ConflictKind.Deleted, winner, b!.EntityType, b.EntityId));
            if (winner == Side.Aims)
            {
                items.Add(new PlanItem(a.ArticleId, PlanAction.Import, Labels: a.Labels, Label: a.Labels.Order(StringComparer.Ordinal).FirstOrDefault()));
                return;
            }
        }
        items.Add(new PlanItem(a.ArticleId, PlanAction.DeleteInAims, b?.EntityType, b?.EntityId));
    }

    /// <summary>Which side's value stays. Only one side changed → that side; both → the strategy; neither → the server's.</summary>
    public static Side Decide(bool aimsChanged, bool serverChanged, ConflictStrategy strategy, DateTimeOffset serverTime, DateTimeOffset aimsTime)
    {
        if (aimsChanged && !serverChanged) return Side.Aims;
        if (!aimsChanged) return Side.Server;
        return strategy switch
        {
            ConflictStrategy.AimsWins or ConflictStrategy.ClientWins => Side.Aims,
            ConflictStrategy.NewestWins => aimsTime > serverTime ? Side.Aims : Side.Server, // a tie keeps the source of truth
            _ => Side.Server, // ServerWins, and Merge without merge fields
        };
    }

    private static bool IsAimsWins(ConflictStrategy s) => s is ConflictStrategy.AimsWins or ConflictStrategy.ClientWins;

    private static bool SameSet(IReadOnlyCollection<string> x, IReadOnlyCollection<string> y) =>
        x.Count == y.Count && x.All(y.Contains);
}
