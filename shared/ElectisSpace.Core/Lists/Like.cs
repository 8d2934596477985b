namespace ElectisSpace.Core.Lists;

/// <summary>Builds ILIKE patterns from user text with %, _ and \ escaped, so search text is matched literally.</summary>
public static class Like
{
    public static string? Contains(string? text) =>
        text is null ? null : "%" + text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";

    /// <summary>
    /// Adds a contains-search to a list's WHERE on the row's search_text column (migrations 0009 and 0013: the searched
    /// fields joined by newlines and lowercased, trigram-indexed). For text without a newline that is exactly "some field contains it";
    /// text with one could match across fields, so then the per-field predicate (exact) decides as well.
    /// Both fragments are code constants; the text goes in as @pattern.
    /// </summary>
    public static SqlWhere AddSearch(this SqlWhere where, string? text, string searchText, string exact)
    {
        if (text is null) return where;
        where.Parameters.Add("pattern", Contains(text));
        // search_text holds its fields lowercased (migration 0013): LIKE against the lowercased pattern is what ILIKE does.
        where.And($"{searchText} LIKE lower(@pattern)");
        return text.Contains('\n') ? where.And($"({exact})") : where;
    }

    /// <summary>
    /// Adds a contains-search on one plain column (its fields are not lowercased, unlike search_text): ILIKE, which a
    /// trigram index on the column serves. The column is a code constant; the text goes in as @pattern.
    /// </summary>
    public static SqlWhere AddContains(this SqlWhere where, string? text, string column) =>
        where.And($"{column} ILIKE @pattern", "pattern", Contains(text));
}
