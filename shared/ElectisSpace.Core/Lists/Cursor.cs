using System.Buffers.Text;

namespace ElectisSpace.Core.Lists;

/// <summary>A row of a keyset-pageable list: its sort column's value as text (sort_value) and its id.</summary>
public interface IKeysetRow
{
    string? SortValue { get; }
    Guid Id { get; }
}

/// <summary>A column a list can sort and keyset-page by. Sql is a code constant; Type is its PostgreSQL type for the cursor value.</summary>
public sealed record SortColumn(string Sql, string Type = "text", bool NotNull = false);

/// <summary>
/// sort= of a keyset-pageable list, resolved against its allow-list. The ORDER BY is the one Query.SortSql gives
/// (NULLS LAST either way) with the id tie-breaker, so page and cursor paging show the same order.
/// </summary>
public sealed record ListSort(string Key, bool Descending, SortColumn Column)
{
    public string Spelling => (Descending ? "-" : "") + Key;

    public string OrderBy(string idSql) => $"{Column.Sql} {(Descending ? "DESC" : "ASC")} NULLS LAST, {idSql}";

    public static ListSort From(HttpRequest req, IReadOnlyDictionary<string, SortColumn> columns, string fallback)
    {
        var (key, desc) = Query.Sort(req, columns.Keys.ToList(), fallback);
        return new ListSort(key, desc, columns[key]);
    }
}

/// <summary>
/// Keyset ("cursor") paging: the cursor names the last row shown (its sort value and id), so the next page is an index
/// range read that costs what the first page costs, however deep. It also carries the page number and limit, so the
/// answer's pagination (page, total, totalPages) stays what page=/limit= would have said. Opaque to clients (base64url JSON).
/// </summary>
public sealed record ListCursor(string Sort, string? Value, Guid Id, int Page, int Limit)
{
    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this, Json.Options));

    /// <summary>
    /// The page this request asks for: page=/limit= as always, or the cursor's page when cursor= is given
    /// (then page= must be absent and limit=, if given, the cursor's).
    /// </summary>
    public static (PageRequest Page, ListCursor? Cursor) Read(HttpRequest req, ListSort sort, int defaultLimit, int maxLimit)
    {
        var text = req.Query["cursor"].ToString();
        if (string.IsNullOrEmpty(text)) return (PageRequest.From(req, defaultLimit, maxLimit), null);
        ListCursor? cursor = null;
        try
        {
            if (text.Length <= 1000) cursor = JsonSerializer.Deserialize<ListCursor>(Base64Url.DecodeFromChars(text), Json.Options);
        }
        catch (Exception e) when (e is FormatException or JsonException) { }
        if (cursor is null || cursor.Page < 2 || cursor.Limit < 1 || cursor.Limit > maxLimit || cursor.Sort is null)
            throw ApiException.Validation("cursor is not valid.", new FieldError("cursor", "Pass the pagination.nextCursor of a previous answer unchanged."));
        if (!string.IsNullOrEmpty(req.Query["page"].ToString()))
            throw ApiException.Validation("Give page or cursor, not both.", new FieldError("page", "Leave page out when paging with cursor."));
        var limit = PageRequest.From(req, cursor.Limit, maxLimit).Limit;
        if (limit != cursor.Limit)
            throw ApiException.Validation("limit differs from the cursor's.", new FieldError("limit", $"This cursor pages by {cursor.Limit}."));
        if (cursor.Sort != sort.Spelling)
            throw ApiException.Validation("sort differs from the cursor's.", new FieldError("sort", $"This cursor pages by sort={cursor.Sort}."));
        if (cursor.Value is { } value && sort.Column.Type == "timestamptz")
        {
            // Only a timestamp .NET can read reaches PostgreSQL's cast: a tampered cursor is a 400, never a 500.
            if (!DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at))
                throw ApiException.Validation("cursor is not valid.", new FieldError("cursor", "Pass the pagination.nextCursor of a previous answer unchanged."));
            cursor = cursor with { Value = at.ToString("O", System.Globalization.CultureInfo.InvariantCulture) };
        }
        return (new PageRequest(cursor.Page, cursor.Limit), cursor);
    }

    /// <summary>Restricts the list to the rows after the cursor's, in the sort's order (NULLS LAST, then id).</summary>
    public void AddAfter(SqlWhere where, ListSort sort, string idSql)
    {
        var col = sort.Column.Sql;
        where.Parameters.Add("cursorId", Id);
        if (Value is null)
        {
            where.And($"({col} IS NULL AND {idSql} > @cursorId)");
            return;
        }
        where.Parameters.Add("cursorValue", Value);
        var v = $"@cursorValue::{sort.Column.Type}";
        if (sort.Column.NotNull && !sort.Descending)
            where.And($"({col}, {idSql}) > ({v}, @cursorId)"); // a row comparison: one range of the (org, column, id) index
        else
            where.And($"({col} {(sort.Descending ? "<" : ">")} {v} OR ({col} = {v} AND {idSql} > @cursorId)"
                      + (sort.Column.NotNull ? ")" : $" OR {col} IS NULL)"));
    }

    /// <summary>The cursor of the page after this one, when there is one.</summary>
    public static string? Next(PageRequest page, long total, int rowsOnPage, ListSort sort, string? lastValue, Guid lastId) =>
        rowsOnPage == page.Limit && page.Offset + rowsOnPage < total
            ? new ListCursor(sort.Spelling, lastValue, lastId, page.Page + 1, page.Limit).Encode()
            : null;
}

/// <summary>
/// A keyset-pageable list's source: its columns, its table with alias ("people p"), the join a page's rows need and its
/// id column, all code constants. Every such list pages and counts the same way through it. PageJoin is a LEFT JOIN
/// LATERAL (… OFFSET 0) of at most one row: the OFFSET 0 keeps PostgreSQL from flattening it into a hash join over the
/// whole joined table (measured at 100,000 people: a seq scan of every space for a page of 100), so each page row is one
/// primary- or unique-key probe.
/// </summary>
public sealed record KeysetList(string Columns, string Table, string PageJoin, string IdSql)
{
    /// <summary>
    /// The page's SQL for the list's filters. The page is cut from the table alone (an index range however deep the
    /// offset) and only its rows are joined, so a deep page never joins and sorts the whole table. Rows get the sort
    /// column's value as text in sort_value, for the next cursor. After a cursor the offset is 0: the cursor's range replaces it.
    /// An offset page first finds its rows' ids and only then reads those rows by primary key (= ANY of the ids, computed
    /// once; a join let PostgreSQL hash-join the whole table): the rows skipped over are then read from
    /// the sort's index alone (an index-only scan, when the sort and the filters are plain indexed columns, as for the
    /// default order) instead of each being fetched from the table (page 50 of 100 people: 5,000 table rows read for 100).
    /// </summary>
    /// <remarks>With <paramref name="withRowBefore"/> an offset page also returns the row just before it, first (see <see cref="PageAsync{T}"/>).</remarks>
    public (string Sql, DynamicParameters Args) PageQuery(SqlWhere where, ListSort sort, PageRequest page, ListCursor? cursor,
        bool withRowBefore = false)
    {
        var deep = cursor is null && page.Offset > 0;
        var limit = (cursor is null ? page : page with { Page = 1 }).LimitSql(where.Parameters); // after a cursor the offset is 0
        if (deep && withRowBefore)
        {
            where.Parameters.Add("Offset", page.Offset - 1);
            limit = $"LIMIT {(page.Limit + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)} OFFSET @Offset";
        }
        cursor?.AddAfter(where, sort, IdSql);
        var alias = Table.Split(' ')[^1];
        var cut = deep
            ? $"""
              SELECT * FROM {Table}
              WHERE {alias}.org_id = @orgId AND {IdSql} = ANY(ARRAY(SELECT {IdSql} FROM {Table} {where} ORDER BY {sort.OrderBy(IdSql)} {limit}))
              """
            : $"SELECT * FROM {Table} {where} ORDER BY {sort.OrderBy(IdSql)} {limit}";
        return ($"""
            {Columns}, ({sort.Column.Sql})::text AS sort_value
            FROM ({cut}) {alias} {PageJoin}
            ORDER BY {sort.OrderBy(IdSql)}
            """, where.Parameters);
    }

    /// <summary>
    /// The total for the list's filters. With none, the organization's row count kept by migration 0009's triggers
    /// (exact, one index read, not a count of every row on every request).
    /// </summary>
    public (string Sql, DynamicParameters Args) CountQuery(SqlWhere where) =>
        (where.IsScopeOnly
            ? $"SELECT coalesce(sum(n), 0)::bigint FROM row_counts WHERE org_id = @orgId AND table_name = '{Table.Split(' ')[0]}'"
            : $"SELECT count(*) FROM {Table} {where}", where.Parameters);

    /// <summary>
    /// One page and the exact total (of the filters, not the cursor's range), in one round trip, or the kept total.
    /// An offset page (page=) is read with the row just before it, which is kept (<see cref="KeptTotals.KeepRowBefore"/>,
    /// per organization, filters, order and offset, under the change counter like totals): while nothing changes, the same
    /// page asked for again is the range after that row, read as a cursor page is, instead of walking the offset again
    /// (an offset page cost ~1 ms of PostgreSQL for page 50 of 100, page 1 ~0.2 ms). The order is total (the sort column,
    /// then id) and unchanged while the counter is, so the range is exactly the page the offset would give. A first-time
    /// page sends the range with its sign-in check (one round trip), before the counter is known; if the check then reads
    /// a newer counter than the row's, the range is not used and the offset is walked.
    /// </summary>
    public async Task<(IReadOnlyList<T> Rows, long Total)> PageAsync<T>(NpgsqlConnection c, Func<SqlWhere> where, ListSort sort,
        PageRequest page, ListCursor? cursor, KeptTotals? totals = null) where T : IKeysetRow
    {
        totals ??= KeptTotals.None;
        // The count reads the filters' parameters only, which the page's (cursor and offset added) include.
        var (countSql, countArgs) = CountQuery(where());
        string? rowBeforeKey = null;
        if (cursor is null && page.Offset > 0)
        {
            rowBeforeKey = totals.Key($"{countSql}\u001f{sort.OrderBy(IdSql)}\u001f{page.Offset}", countArgs);
            if (totals.FindRowBefore(rowBeforeKey) is { } before)
            {
                // The range after the kept row, read as a cursor page (in the batch of a sign-in check still to run).
                var range = new ListCursor(sort.Spelling, before.SortValue, before.Id, page.Page, page.Limit);
                var (rangeSql, rangeArgs) = PageQuery(where(), sort, page, range);
                var read = await ListPage.ReadAsync<T>(c, rangeSql, countSql, rangeArgs, totals);
                if (totals.IsCurrent(before)) return read;
                // Something changed since the row was kept (the check in the range's batch read a newer counter): walk the offset.
            }
        }
        var (sql, args) = PageQuery(where(), sort, page, cursor, withRowBefore: rowBeforeKey is not null);
        var (rows, total) = await ListPage.ReadAsync<T>(c, sql, countSql, args, totals);
        if (rowBeforeKey is null || rows.Count == 0) return (rows, total);
        totals.KeepRowBefore(rowBeforeKey, rows[0].SortValue, rows[0].Id);
        rows.RemoveAt(0);
        return (rows, total);
    }
}
