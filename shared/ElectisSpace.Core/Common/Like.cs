namespace ElectisSpace.Core.Common;

/// <summary>Builds ILIKE patterns from user text with %, _ and \ escaped, so search text is matched literally.</summary>
public static class Like
{
    public static string? Contains(string? text) =>
        text is null ? null : "%" + text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
}
