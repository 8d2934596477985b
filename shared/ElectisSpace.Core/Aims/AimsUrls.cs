using ElectisSpace.Core.Settings;

namespace ElectisSpace.Core.Aims;

/// <summary>
/// The AIMS URL rules (AIMS_API §1): strip a trailing /common or /c1/common from the configured base URL, add /c1 only
/// when the cluster is c1 (the cluster setting decides, not the URL text), then /common/api/v2/... .
/// </summary>
public static class AimsUrls
{
    public static string Root(string baseUrl, AimsCluster cluster)
    {
        var root = baseUrl.Trim().TrimEnd('/');
        foreach (var suffix in new[] { "/c1/common", "/common" })
            if (root.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) { root = root[..^suffix.Length]; break; }
        if (root.EndsWith("/c1", StringComparison.OrdinalIgnoreCase)) root = root[..^3];
        return cluster == AimsCluster.C1 ? root + "/c1" : root;
    }

    /// <summary>POST login; HEAD on it is the credential-free "alive" check.</summary>
    public static string Token(string root) => root + "/common/api/v2/token";
    public static string TokenRefresh(string root) => root + "/common/api/v2/token/refresh";

    /// <summary>A business endpoint (path under /common/api/v2/common/) with company, store (when given) and extra query values, encoded.</summary>
    public static string Business(AimsConnection conn, string path, bool withStore = true, params (string Name, string Value)[] query)
    {
        var parts = new List<(string, string)> { ("company", conn.Company) };
        if (withStore) parts.Add(("store", conn.Store));
        parts.AddRange(query);
        return $"{conn.Root}/common/api/v2/common/{path}?" +
               string.Join('&', parts.Select(p => $"{Uri.EscapeDataString(p.Item1)}={Uri.EscapeDataString(p.Item2)}"));
    }
}
