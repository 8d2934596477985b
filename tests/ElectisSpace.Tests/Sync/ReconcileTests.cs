using ElectisSpace.Core.Settings;
using ElectisSpace.Core.Sync.Reconcile;

namespace ElectisSpace.Tests.Sync;

/// <summary>The pure reconcile: every strategy × each kind of difference.</summary>
public sealed class ReconcileTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Id = Guid.Parse("11111111-1111-1111-1111-111111111111");
    private static readonly HashSet<string> NoDeletes = [];

    public static TheoryData<ConflictStrategy> Strategies() =>
        [ConflictStrategy.NewestWins, ConflictStrategy.ServerWins, ConflictStrategy.AimsWins, ConflictStrategy.ClientWins, ConflictStrategy.Merge];

    private static LocalSide Local(string hash, string? label = null, bool dirty = false, DateTimeOffset? updated = null) =>
        new("S1", "space", Id, hash, label, dirty, updated ?? Now.AddMinutes(-10));
    private static AimsSide Aims(string hash, string[]? labels = null, DateTimeOffset? modified = null) =>
        new("S1", hash, labels ?? [], modified ?? Now.AddMinutes(-5));
    private static BaseSide Base(string hash, string[]? labels = null) => new("S1", hash, labels ?? [], "space", Id);

    private static SyncPlan Plan(ConflictStrategy s, AimsSide? a, LocalSide? l, BaseSide? b, IReadOnlySet<string>? deletes = null) =>
        Reconciler.Plan(a is null ? [] : [a], l is null ? [] : [l], b is null ? [] : [b], deletes ?? NoDeletes, s, Now);

    private static PlanItem Single(SyncPlan p) => Assert.Single(p.Items);

    [Theory, MemberData(nameof(Strategies))]
    public void Equal_sides_are_in_step_whatever_the_strategy(ConflictStrategy s)
    {
        var p = Plan(s, Aims("h1"), Local("h1", dirty: true), Base("h0"));
        Assert.Equal(PlanAction.InStep, Single(p).Action);
        Assert.Empty(p.Conflicts);
    }

    [Theory, MemberData(nameof(Strategies))]
    public void A_change_made_only_in_AIMS_is_taken_in(ConflictStrategy s)
    {
        var p = Plan(s, Aims("h2"), Local("h1"), Base("h1"));
        Assert.Equal(PlanAction.ApplyToLocal, Single(p).Action);
        Assert.Empty(p.Conflicts);
    }

    [Theory, MemberData(nameof(Strategies))]
    public void A_change_made_only_on_the_server_is_pushed(ConflictStrategy s)
    {
        var p = Plan(s, Aims("h1"), Local("h2", dirty: true), Base("h1"));
        Assert.Equal(PlanAction.Push, Single(p).Action);
        Assert.Empty(p.Conflicts);
    }

    [Theory, MemberData(nameof(Strategies))]
    public void Drift_with_no_recorded_change_restores_the_server_view(ConflictStrategy s)
    {
        // Base says AIMS still has what was agreed, the entity is clean, yet they differ (e.g. a mapping change): push.
        var p = Plan(s, Aims("h1"), Local("h2"), Base("h1"));
        Assert.Equal(PlanAction.Push, Single(p).Action);
    }

    [Theory]
    [InlineData(ConflictStrategy.ServerWins, PlanAction.Push, Side.Server)]
    [InlineData(ConflictStrategy.Merge, PlanAction.Push, Side.Server)]
    [InlineData(ConflictStrategy.AimsWins, PlanAction.ApplyToLocal, Side.Aims)]
    [InlineData(ConflictStrategy.ClientWins, PlanAction.ApplyToLocal, Side.Aims)]
    public void A_change_on_both_sides_is_a_conflict_resolved_by_the_strategy(ConflictStrategy s, PlanAction action, Side winner)
    {
        var p = Plan(s, Aims("h3"), Local("h2", dirty: true), Base("h1"));
        Assert.Equal(action, Single(p).Action);
        var c = Assert.Single(p.Conflicts);
        Assert.Equal((ConflictKind.Data, winner, "S1"), (c.Kind, c.Winner, c.ArticleId));
    }

    [Theory]
    [InlineData(-1, PlanAction.ApplyToLocal, Side.Aims)]   // AIMS edited after the server
    [InlineData(+1, PlanAction.Push, Side.Server)]         // the server edited after AIMS
    [InlineData(0, PlanAction.Push, Side.Server)]          // a tie keeps the source of truth
    public void Newest_wins_compares_the_server_edit_time_with_AIMS_lastModified(int serverLaterMinutes, PlanAction action, Side winner)
    {
        var aimsTime = Now.AddMinutes(-5);
        var p = Plan(ConflictStrategy.NewestWins, Aims("h3", modified: aimsTime), Local("h2", dirty: true, updated: aimsTime.AddMinutes(serverLaterMinutes)), Base("h1"));
        Assert.Equal(action, Single(p).Action);
        Assert.Equal(winner, Assert.Single(p.Conflicts).Winner);
    }

    [Fact]
    public void Newest_wins_without_an_AIMS_time_counts_the_AIMS_change_as_seen_now()
    {
        var p = Plan(ConflictStrategy.NewestWins, new AimsSide("S1", "h3", [], null), Local("h2", dirty: true), Base("h1"));
        Assert.Equal(PlanAction.ApplyToLocal, Single(p).Action);
    }

    [Theory, MemberData(nameof(Strategies))]
    public void Without_a_base_a_difference_belongs_to_whichever_side_is_marked_changed(ConflictStrategy s)
    {
        Assert.Equal(PlanAction.ApplyToLocal, Single(Plan(s, Aims("h2"), Local("h1"), null)).Action);
        var dirty = Plan(s, Aims("h2"), Local("h1", dirty: true), null);
        Assert.Equal(PlanAction.Push, Single(dirty).Action);
        Assert.Empty(dirty.Conflicts);
    }

    [Theory, MemberData(nameof(Strategies))]
    public void An_article_deleted_in_AIMS_is_repaired(ConflictStrategy s)
    {
        var p = Plan(s, null, Local("h1", label: "L1"), Base("h1", ["L1"]));
        var item = Single(p);
        Assert.Equal((PlanAction.Push, "L1"), (item.Action, item.Label));
    }

    [Theory, MemberData(nameof(Strategies))]
    public void An_article_only_AIMS_has_and_never_synced_is_imported(ConflictStrategy s)
    {
        var item = Single(Plan(s, Aims("h1", ["L2", "L1"]), null, null));
        Assert.Equal((PlanAction.Import, "L1"), (item.Action, item.Label));
    }

    [Theory, MemberData(nameof(Strategies))]
    public void An_article_deleted_on_the_server_is_deleted_in_AIMS(ConflictStrategy s)
    {
        Assert.Equal(PlanAction.DeleteInAims, Single(Plan(s, Aims("h1"), null, Base("h1"))).Action);
        // A delete still in the outbox counts as deleted even before any base exists.
        Assert.Equal(PlanAction.DeleteInAims, Single(Plan(s, Aims("h1"), null, null, new HashSet<string> { "S1" })).Action);
    }

    [Theory]
    [InlineData(ConflictStrategy.NewestWins, PlanAction.DeleteInAims, Side.Server)]
    [InlineData(ConflictStrategy.ServerWins, PlanAction.DeleteInAims, Side.Server)]
    [InlineData(ConflictStrategy.AimsWins, PlanAction.Import, Side.Aims)]
    public void Deleted_on_the_server_but_edited_in_AIMS_is_a_deletion_conflict(ConflictStrategy s, PlanAction action, Side winner)
    {
        var p = Plan(s, Aims("h2"), null, Base("h1"));
        Assert.Equal(action, Single(p).Action);
        Assert.Equal((ConflictKind.Deleted, winner), (Assert.Single(p.Conflicts).Kind, p.Conflicts[0].Winner));
    }

    [Theory, MemberData(nameof(Strategies))]
    public void A_label_unlinked_in_AIMS_is_taken_in(ConflictStrategy s)
    {
        var p = Plan(s, Aims("h1", []), Local("h1", label: "L1"), Base("h1", ["L1"]));
        var label = p.Items.Single(i => i.Action != PlanAction.InStep);
        Assert.Equal((PlanAction.ApplyLabel, (string?)null), (label.Action, label.Label));
        Assert.Empty(p.Conflicts);
    }

    [Theory, MemberData(nameof(Strategies))]
    public void A_label_linked_in_AIMS_is_taken_in_and_one_linked_on_the_server_is_pushed(ConflictStrategy s)
    {
        var linked = Plan(s, Aims("h1", ["L2"]), Local("h1"), Base("h1"));
        Assert.Equal((PlanAction.ApplyLabel, "L2"), linked.Items.Where(i => i.Action != PlanAction.InStep).Select(i => (i.Action, i.Label)).Single());
        var ours = Plan(s, Aims("h1", []), Local("h1", label: "L3", dirty: true), Base("h1"));
        Assert.Equal((PlanAction.PushLabel, "L3"), ours.Items.Where(i => i.Action != PlanAction.InStep).Select(i => (i.Action, i.Label)).Single());
    }

    [Theory]
    [InlineData(ConflictStrategy.ServerWins, PlanAction.PushLabel, "L3")]
    [InlineData(ConflictStrategy.AimsWins, PlanAction.ApplyLabel, "L2")]
    [InlineData(ConflictStrategy.NewestWins, PlanAction.ApplyLabel, "L2")] // AIMS's lastModified is later than the edit
    public void A_label_changed_on_both_sides_is_a_label_conflict(ConflictStrategy s, PlanAction action, string label)
    {
        var p = Plan(s, Aims("h1", ["L2"]), Local("h1", label: "L3", dirty: true, updated: Now.AddMinutes(-30)), Base("h1", ["L1"]));
        var item = p.Items.Single(i => i.Action != PlanAction.InStep);
        Assert.Equal((action, label), (item.Action, item.Label));
        Assert.Equal(ConflictKind.Label, Assert.Single(p.Conflicts).Kind);
    }

    [Fact]
    public void People_articles_have_no_label_of_their_own()
    {
        var person = new LocalSide("POOL-0001", "person", Id, "h1", null, false, Now, HasLabels: false);
        var p = Reconciler.Plan([new AimsSide("POOL-0001", "h1", ["L9"], null)], [person], [], NoDeletes, ConflictStrategy.NewestWins, Now);
        Assert.Equal(PlanAction.InStep, Single(p).Action);
    }

    [Fact]
    public void The_plan_is_ordered_and_the_same_for_the_same_input()
    {
        AimsSide[] aims = [new("B", "x", [], null), new("A", "y", [], null), new("C", "z", [], null)];
        LocalSide[] local = [new("C", "space", Id, "z", null, false, Now), new("D", "space", Id, "w", null, true, Now)];
        var first = Reconciler.Plan(aims, local, [], NoDeletes, ConflictStrategy.NewestWins, Now);
        var second = Reconciler.Plan(aims.Reverse().ToArray(), local.Reverse().ToArray(), [], NoDeletes, ConflictStrategy.NewestWins, Now);
        Assert.Equal(["A", "B", "C", "D"], first.Items.Select(i => i.ArticleId));
        Assert.Equal(first.Items, second.Items);
    }
}
