using ElectisSpace.Core.Auth;
using Microsoft.Extensions.Caching.Memory;

namespace ElectisSpace.Core.Lists;

/// <summary>
/// Answers of the busiest lists (people, spaces, conference rooms, users), kept as the bytes sent, and served again only
/// while the organization's change counter (migration 0010, list_versions) still reads what it read when the answer was
/// built. Every request still reads the counter from PostgreSQL (with its sign-in check, CurrentUser.ListVersion), so an
/// answer is never older than the last committed change, on any instance; a repeated list read (clients polling, paging
/// back and forth, the same search) costs no query of its own instead of the page, its joins and its count (a search's
/// count reads every match).
/// The request has passed authentication, its permission and the validation of its query before it gets here, and the
/// key is the organization with the exact path and query: nothing in these answers depends on who in the organization asks.
/// A single person, space or room (GET …/{id}) shows the same tables its list does, so it is kept the same way, with its ETag.
/// An answer is kept from the second time it is built (<see cref="BuiltBefore"/>). The exact totals of filtered lists are kept the same way (<see cref="KeptTotals"/>), for the pages an answer does not cover.
/// </summary>
public sealed class ListCache
{
    /// <summary>Bytes of answers kept at most (least recently used go first).</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>Filtered lists' totals kept at most (least recently used go first).</summary>
    public const int MaxTotals = 10_000;

    private readonly MemoryCache _answers = new(new MemoryCacheOptions { SizeLimit = MaxBytes });
    private readonly MemoryCache _totals = new(new MemoryCacheOptions { SizeLimit = MaxTotals });

    private sealed record Answer(long Version, byte[] Json, int? ETag = null);

    /// <summary>
    /// The page <paramref name="read"/> builds on this connection, or the same answer kept from an earlier identical request.
    /// read passes the <see cref="KeptTotals"/> it is given to <see cref="ListPage.ReadAsync"/>.
    /// </summary>
    public async Task<IResult> PageAsync<T>(RequestContext ctx, Func<NpgsqlConnection, KeptTotals, Task<PagedResponse<T>>> read)
    {
        var (json, _) = await AnswerAsync(ctx, async c => (await read(c, KeptTotals.For(_totals, ctx)), (int?)null));
        return JsonBytes(json);
    }

    /// <summary>
    /// One row's answer (the body and the row version for its ETag) that <paramref name="read"/> builds, or the kept one;
    /// read throws the 404 itself, and a 404 is not kept.
    /// </summary>
    public async Task<IResult> ItemAsync<T>(RequestContext ctx, Func<NpgsqlConnection, Task<(T Body, int Version)>> read)
    {
        var (json, etag) = await AnswerAsync(ctx, async c => { var (body, version) = await read(c); return (body, (int?)version); });
        Concurrency.SetETag(ctx.Request, etag!.Value);
        return JsonBytes(json);
    }

    private async Task<(byte[] Json, int? ETag)> AnswerAsync<T>(RequestContext ctx, Func<NpgsqlConnection, Task<(T Body, int? ETag)>> read)
    {
        var key = $"{ctx.OrgId}|{ctx.Request.Path}{ctx.Request.QueryString}";
        // An answer kept under some counter is likely still current: the sign-in check, which reads the counter, is then
        // the whole request when it is. With none kept the page is read anyway, and the check goes in its batch (Api.RunList).
        var kept = _answers.Get<Answer>(key);
        if (kept is not null) await ctx.CompleteSignInAsync();
        if (kept is not null && kept.Version == ctx.User.ListVersion) return (kept.Json, kept.ETag);
        var checkedBefore = ctx.SignInPending is null;
        var (body, etag) = await ctx.Service<Db>().ReadAsync(read, ctx.Aborted);
        // The counter is read before the answer (with the sign-in check, or first in the page's batch): a change committed
        // in between makes the answer newer than the version it is kept under, never older, so no later request is served
        // something staler than it reads. A read that did not carry a pending check leaves the counter to be read after
        // it: that answer is served but not kept.
        var counterReadFirst = checkedBefore || ctx.SignInPending is null;
        await ctx.CompleteSignInAsync();
        var json = JsonSerializer.SerializeToUtf8Bytes(body, Json.Options);
        if (counterReadFirst && (kept is not null || BuiltBefore(key)))
            _answers.Set(key, new Answer(ctx.User.ListVersion, json, etag), new MemoryCacheEntryOptions
            {
                Size = json.Length + key.Length * 2,
                SlidingExpiration = TimeSpan.FromMinutes(10),
            });
        return (json, etag);
    }

    private static IResult JsonBytes(byte[] body) => Results.Bytes(body, "application/json; charset=utf-8");

    /// <summary>
    /// Hashes of the keys whose answer was built once and not kept, one per slot (a newer key takes the slot).
    /// An answer is kept the second time it is built (or when an older version of it was kept): one asked for once (a
    /// client walking every page once, a query with a parameter of its own) would only push out answers that are asked
    /// for again, and it cost the server more to keep than to drop (copied twice by the GC as it aged, then a gen 2
    /// collection to free it; the cache compacting). Written by hand because it is this small: a slot race only keeps or
    /// drops one answer more, and two keys sharing a slot and a hash only keep an answer early.
    /// </summary>
    private readonly int[] _builtOnce = new int[1 << 16];

    private bool BuiltBefore(string key)
    {
        var hash = key.GetHashCode();
        ref var slot = ref _builtOnce[hash & (_builtOnce.Length - 1)];
        if (Volatile.Read(ref slot) == hash) return true;
        Volatile.Write(ref slot, hash);
        return false;
    }
}

/// <summary>
/// The exact totals of an organization's filtered lists, kept under the change counter read with the sign-in check (like
/// <see cref="ListCache"/>'s answers): a search's or filter's count reads every match (search "Person 1" on 10,000 people:
/// 1,112 matches among ~4,500 trigram candidates, most of a page's cost), and every page of the same filters — page 2, 3,
/// …, another page size, the next cursor, another client — has the same total until something changes. So it is counted
/// once per change instead of once per page. Unfiltered totals are already one read of the kept row counts.
/// The row just before an offset page is kept the same way (<see cref="RowBefore"/>), so that page asked again is a range.
/// </summary>
public sealed class KeptTotals
{
    private readonly MemoryCache? _totals;
    private readonly Guid _orgId;
    private readonly Func<long> _version;
    private readonly RequestContext? _request;

    /// <summary>Totals of the organization kept in <paramref name="totals"/>, under the change counter <paramref name="version"/>.</summary>
    public KeptTotals(MemoryCache? totals, Guid orgId, long version) : this(totals, orgId, () => version, null) { }

    private KeptTotals(MemoryCache? totals, Guid orgId, Func<long> version, RequestContext? request) =>
        (_totals, _orgId, _version, _request) = (totals, orgId, version, request);

    /// <summary>The request's: its organization, and the counter its sign-in check reads (which may still be to run, <see cref="SignInPending"/>).</summary>
    public static KeptTotals For(MemoryCache totals, RequestContext request) =>
        new(totals, request.OrgId, () => request.User.ListVersion, request);

    private sealed record Total(long Version, long Count);

    /// <summary>No totals kept: every page counts (lists that are not served through ListCache).</summary>
    public static readonly KeptTotals None = new(null, Guid.Empty, 0);

    /// <summary>The request whose sign-in check is still to run, to go first in the batch of its page (Api.RunList); null once it has run.</summary>
    public RequestContext? SignInPending => _request?.SignInPending is null ? null : _request;

    /// <summary>The total kept under this key (<see cref="Key"/>) for the current change counter.</summary>
    public bool TryFind(string? key, out long count)
    {
        count = 0;
        if (_totals is null || key is null || !_totals.TryGetValue(key, out Total? kept) || kept!.Version != _version()) return false;
        count = kept.Count;
        return true;
    }

    /// <summary>Whether a total is kept under this key for any counter (it is likely current).</summary>
    public bool IsKept(string? key) => _totals is not null && key is not null && _totals.TryGetValue(key, out _);

    /// <summary>The sort value and id of the row just before an offset page (KeysetList.PageAsync).</summary>
    public sealed record RowBefore(long Version, string? SortValue, Guid Id);

    /// <summary>
    /// The row before an offset page kept under this key: for the current change counter or, while the request's sign-in
    /// check is still to run (so the counter is not known yet), for any counter. The caller then reads the range in the
    /// check's batch and uses it only if the row is still <see cref="IsCurrent"/> (a change in between is rare; the offset
    /// is walked then).
    /// </summary>
    public RowBefore? FindRowBefore(string? key)
    {
        if (_totals is null || key is null || !_totals.TryGetValue(key, out RowBefore? kept)) return null;
        return SignInPending is not null || IsCurrent(kept!) ? kept : null;
    }

    /// <summary>Whether the row was kept under the change counter the request read (its sign-in check must have run).</summary>
    public bool IsCurrent(RowBefore kept) => kept.Version == _version();

    public void KeepRowBefore(string? key, string? sortValue, Guid id) => Set(key, () => new RowBefore(_version(), sortValue, id));

    public void Keep(string? key, long count) => Set(key, () => new Total(_version(), count));

    private void Set(string? key, Func<object> value)
    {
        if (_totals is null || key is null) return;
        _totals.Set(key, value(), new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(10) });
    }

    /// <summary>
    /// The organization, the count's SQL and the values of the parameters it names. The page's own parameters (offset,
    /// cursor) share the parameter bag but are not in the count, so every page of the same filters finds the same total.
    /// Null (the total is not kept) when the SQL names a parameter whose value the bag does not give by name (one given
    /// in a template object) or that is null (list filters bind only values they have): a key without it could match a
    /// count of other values. Null too when nothing is kept (<see cref="None"/>).
    /// </summary>
    public string? Key(string countSql, DynamicParameters args)
    {
        if (_totals is null) return null;
        var lookup = (SqlMapper.IParameterLookup)args;
        var listed = args.ParameterNames.ToHashSet(StringComparer.Ordinal);
        var key = new System.Text.StringBuilder().Append(_orgId).Append('\u001f').Append(countSql);
        foreach (var name in ParametersIn(countSql))
        {
            // Not listed, or listed without a value (Dapper keeps a template object's values apart): no key.
            if (!listed.Contains(name) || lookup[name] is not { } value) return null;
            key.Append('\u001f').Append(name).Append('=').Append(value switch
            {
                string text => text,
                System.Collections.IEnumerable values => string.Join('\u001e', values.Cast<object?>().Select(Text)),
                var other => Text(other),
            });
        }
        return key.ToString();
    }

    private static string? Text(object? value) => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The @names the SQL uses, each once. The SQL is code constants (values are parameters), so an @ is a parameter.</summary>
    private static IEnumerable<string> ParametersIn(string sql)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var at = sql.IndexOf('@'); at >= 0; at = sql.IndexOf('@', at + 1))
        {
            var end = at + 1;
            while (end < sql.Length && (char.IsLetterOrDigit(sql[end]) || sql[end] == '_')) end++;
            if (end > at + 1 && seen.Add(sql[(at + 1)..end])) yield return sql[(at + 1)..end];
        }
    }
}
