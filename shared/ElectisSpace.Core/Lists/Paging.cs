using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Lists;

/// <summary>page/limit from the query string, validated; Offset for SQL.</summary>
public sealed record PageRequest(int Page, int Limit)
{
    /// <summary>Far beyond any real list; a higher page is a client bug, answered 400 rather than a pointless scan.</summary>
    public const int MaxPage = 1_000_000;
    // 64-bit: (page - 1) * limit overflows int long before MaxPage * 100 would.
    public long Offset => (long)(Page - 1) * Limit;

    /// <summary>
    /// The page's LIMIT/OFFSET clause (adding @Offset to args when there is one). LIMIT is a literal (an int this record
    /// validated, 1..100; never text): statements are auto-prepared (ServerSettings.PooledConnectionString), and a generic
    /// plan guesses 10% of the table for a parameter LIMIT or OFFSET, which turns a 50-row page into a hash join over a whole
    /// table, or makes PostgreSQL re-plan on every request. The first page (and every cursor page) has no OFFSET at all, so
    /// its prepared plan is the one for the page it returns.
    /// </summary>
    public string LimitSql(DynamicParameters args)
    {
        var limit = $"LIMIT {Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        if (Offset == 0) return limit;
        args.Add("Offset", Offset);
        return limit + " OFFSET @Offset";
    }

    public static PageRequest From(HttpRequest req, int defaultLimit = 20, int maxLimit = 100)
    {
        var errors = new List<FieldError>();
        var page = Query.Int(req, "page", errors) ?? 1;
        var limit = Query.Int(req, "limit", errors) ?? defaultLimit;
        if (page is < 1 or > MaxPage) errors.Add(new("page", $"page must be between 1 and {MaxPage}."));
        if (limit < 1 || limit > maxLimit) errors.Add(new("limit", $"limit must be between 1 and {maxLimit}."));
        if (errors.Count > 0) throw ApiException.Validation(errors);
        return new PageRequest(page, limit);
    }
}

/// <summary>
/// A list page and its exact total, read in one round trip (the two statements go to PostgreSQL as one batch), or the
/// page alone when the total of the same filters is kept for the organization's current change counter (<see cref="KeptTotals"/>).
/// </summary>
public static class ListPage
{
    public static async Task<(List<T> Rows, long Total)> ReadAsync<T>(NpgsqlConnection c, string pageSql, string countSql,
        DynamicParameters args, KeptTotals? totals = null)
    {
        totals ??= KeptTotals.None;
        var key = totals.Key(countSql, args);
        if (totals.SignInPending is { } request) return await ReadWithSignInAsync<T>(c, request, pageSql, countSql, args, totals, key);
        if (totals.TryFind(key, out var kept))
            return ((await c.QueryAsync<T>(pageSql, args)).AsList(), kept);
        await using var results = await c.QueryMultipleAsync(pageSql + ";\n" + countSql, args);
        var rows = (await results.ReadAsync<T>()).AsList();
        var total = await results.ReadSingleAsync<long>();
        totals.Keep(key, total);
        return (rows, total);
    }

    /// <summary>
    /// The request's sign-in check first, then the page (and the count, unless a total is kept for some counter: it is likely
    /// current), in one batch; the check's row is confirmed before anything else is read (401/403 otherwise). The counter
    /// the check reads is read before the page, as when the check runs on its own. A kept total of an older counter is counted again.
    /// </summary>
    private static async Task<(List<T> Rows, long Total)> ReadWithSignInAsync<T>(NpgsqlConnection c, RequestContext request,
        string pageSql, string countSql, DynamicParameters args, KeptTotals totals, string? key)
    {
        var countToo = !totals.IsKept(key);
        request.SignInPending!.AddParameters(args);
        List<T> rows;
        long total;
        await using (var results = await c.QueryMultipleAsync(
            RequestAuthenticator.CheckSql + ";\n" + pageSql + (countToo ? ";\n" + countSql : ""), args))
        {
            request.CompleteSignIn(await results.ReadSingleOrDefaultAsync<SignInRow>());
            rows = (await results.ReadAsync<T>()).AsList();
            if (countToo)
            {
                total = await results.ReadSingleAsync<long>();
                totals.Keep(key, total);
                return (rows, total);
            }
        }
        if (totals.TryFind(key, out total)) return (rows, total);
        total = await c.ExecuteScalarAsync<long>(countSql, args);
        totals.Keep(key, total);
        return (rows, total);
    }
}

/// <summary>Typed reads of query-string values; a malformed value is a VALIDATION_ERROR, never ignored.</summary>
public static class Query
{
    /// <summary>The raw value; control characters (NUL included) are refused here, once, for every query parameter.</summary>
    private static string Raw(HttpRequest req, string name)
    {
        var v = req.Query[name].ToString();
        if (JsonText.HasControlCharacter(v)) throw ApiException.Validation($"{name} has a control character.", new FieldError(name, JsonText.ControlCharacterMessage));
        return v;
    }

    public static string? String(HttpRequest req, string name, int maxLength = 200)
    {
        var v = Raw(req, name);
        if (string.IsNullOrWhiteSpace(v)) return null;
        if (v.Length > maxLength) throw ApiException.Validation($"{name} is too long.", new FieldError(name, $"At most {maxLength} characters."));
        return v.Trim();
    }

    public static int? Int(HttpRequest req, string name, List<FieldError> errors)
    {
        var v = Raw(req, name);
        if (string.IsNullOrEmpty(v)) return null;
        if (int.TryParse(v, out var i)) return i;
        errors.Add(new(name, $"{name} must be a whole number."));
        return null;
    }

    public static bool? Bool(HttpRequest req, string name)
    {
        var v = Raw(req, name);
        if (string.IsNullOrEmpty(v)) return null;
        if (bool.TryParse(v, out var b)) return b;
        throw ApiException.Validation($"{name} must be true or false.", new FieldError(name, "Expected true or false."));
    }

    public static Guid? Guid(HttpRequest req, string name)
    {
        var v = Raw(req, name);
        if (string.IsNullOrEmpty(v)) return null;
        if (System.Guid.TryParse(v, out var g)) return g;
        throw ApiException.Validation($"{name} must be a UUID.", new FieldError(name, "Expected a UUID."));
    }

    public static DateTimeOffset? Date(HttpRequest req, string name)
    {
        var v = Raw(req, name);
        if (string.IsNullOrEmpty(v)) return null;
        if (DateTimeOffset.TryParse(v, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var d)) return d;
        throw ApiException.Validation($"{name} must be an ISO 8601 date or date-time.", new FieldError(name, "Expected an ISO 8601 date."));
    }

    /// <summary>An enum value from its API (kebab-case) spelling; unknown values are a 400 listing the allowed ones.</summary>
    public static T? Enum<T>(HttpRequest req, string name) where T : struct, System.Enum
    {
        var v = Raw(req, name);
        if (string.IsNullOrEmpty(v)) return null;
        if (EnumNames.TryParse<T>(v, out var e)) return e;
        throw ApiException.Validation($"{name} has an unknown value.",
            new FieldError(name, "Allowed: " + string.Join(", ", EnumNames.All<T>())));
    }

    /// <summary>sort=field or sort=-field, restricted to an allow-list mapped to SQL expressions.</summary>
    public static (string Key, bool Descending) Sort(HttpRequest req, IReadOnlyCollection<string> allowed, string fallback)
    {
        var v = Raw(req, "sort");
        if (string.IsNullOrEmpty(v)) return (fallback, false);
        var desc = v.StartsWith('-');
        var key = desc ? v[1..] : v;
        if (!allowed.Contains(key))
            throw ApiException.Validation("sort has an unknown field.", new FieldError("sort", "Allowed: " + string.Join(", ", allowed) + " (prefix - for descending)."));
        return (key, desc);
    }
    /// <summary>The ORDER BY expression for sort=, taken from the allow-list (API field → SQL column), never from request text.</summary>
    public static string SortSql(HttpRequest req, IReadOnlyDictionary<string, string> columns, string fallback, bool fallbackDescending = false)
    {
        var (key, desc) = Sort(req, columns.Keys.ToList(), fallback);
        if (string.IsNullOrEmpty(req.Query["sort"].ToString())) desc = fallbackDescending;
        return columns[key] + (desc ? " DESC NULLS LAST" : " ASC NULLS LAST");
    }
}

/// <summary>API spelling of enums (kebab-case lower), shared by JSON, query strings and the database.</summary>
public static class EnumNames
{
    /// <summary>
    /// Each enum's values and spellings, worked out once: rows are parsed per list row (a page of 50 people parsed 50
    /// sync statuses, each converting every value's name again; seen in a profile of never-cached pages).
    /// </summary>
    private static class Of<T> where T : struct, System.Enum
    {
        public static readonly (T Value, string Name)[] Values =
            [.. System.Enum.GetValues<T>().Select(v => (v, JsonNamingPolicy.KebabCaseLower.ConvertName(v.ToString())))];
    }

    public static string Name<T>(T value) where T : struct, System.Enum
    {
        foreach (var (v, name) in Of<T>.Values)
            if (EqualityComparer<T>.Default.Equals(v, value)) return name;
        return JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString()); // a value outside the enum's names
    }

    public static IEnumerable<string> All<T>() where T : struct, System.Enum => Of<T>.Values.Select(v => v.Name);

    public static bool TryParse<T>(string text, out T value) where T : struct, System.Enum
    {
        foreach (var (v, name) in Of<T>.Values)
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase)) { value = v; return true; }
        value = default;
        return false;
    }

    public static T Parse<T>(string text) where T : struct, System.Enum =>
        TryParse<T>(text, out var v) ? v : throw new FormatException($"Unknown {typeof(T).Name} '{text}'.");
}
