using Dapper;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using Microsoft.Extensions.Caching.Memory;

namespace ElectisSpace.Tests.Lists;

/// <summary>The key a kept total is found by (Lists/ListCache.cs): only the values the count names, and only when it can see them all.</summary>
public sealed class KeptTotalsTests
{
    private const string Count = "SELECT count(*) FROM people p WHERE p.org_id = @orgId AND p.search_text LIKE lower(@pattern)";

    private static DynamicParameters Args(Guid org, string pattern, int? offset = null)
    {
        var args = new DynamicParameters();
        args.Add("orgId", org);
        args.Add("pattern", pattern);
        if (offset is { } o) args.Add("Offset", o); // a page's own parameter: not in the count
        return args;
    }

    [Fact]
    public void A_total_is_found_by_the_values_its_count_names_and_not_by_others()
    {
        using var cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = 10 });
        var org = Guid.NewGuid();
        var totals = new KeptTotals(cache, org, version: 7);
        totals.Keep(totals.Key(Count, Args(org, "%ada%")), 3);

        Assert.True(totals.TryFind(totals.Key(Count, Args(org, "%ada%", offset: 50)), out var kept));
        Assert.Equal(3, kept);
        Assert.False(totals.TryFind(totals.Key(Count, Args(org, "%adam%")), out _));
        var later = new KeptTotals(cache, org, version: 8);
        Assert.False(later.TryFind(later.Key(Count, Args(org, "%ada%")), out _));
        var otherOrg = new KeptTotals(cache, Guid.NewGuid(), version: 7);
        Assert.False(otherOrg.TryFind(otherOrg.Key(Count, Args(org, "%ada%")), out _));
    }

    [Fact]
    public void A_count_whose_values_come_in_a_template_object_is_never_kept()
    {
        using var cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = 10 });
        var org = Guid.NewGuid();
        var totals = new KeptTotals(cache, org, version: 1);
        totals.Keep(totals.Key(Count, new DynamicParameters(new { orgId = org, pattern = "%ada%" })), 3);
        Assert.False(totals.TryFind(totals.Key(Count, new DynamicParameters(new { orgId = org, pattern = "%bob%" })), out _));
        Assert.Equal(0, cache.Count);
    }
}
