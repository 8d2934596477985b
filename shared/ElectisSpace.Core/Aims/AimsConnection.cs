using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Settings;

namespace ElectisSpace.Core.Aims;

/// <summary>Where and as whom one organization talks to AIMS: host, cluster, company, store and account.</summary>
public sealed record AimsConnection(string BaseUrl, AimsCluster Cluster, string Company, string Store, string Username, string Password)
{
    /// <summary>The cluster root every AIMS path hangs off (see <see cref="AimsUrls.Root"/>).</summary>
    public string Root => AimsUrls.Root(BaseUrl, Cluster);

    /// <summary>Tokens belong to an account on a company (shared by its stores), as in the electisSpace client.</summary>
    public string TokenKey => $"{Root}|{Company}|{Username}";

    // Records print every property; the password must never reach a log.
    private bool PrintMembers(System.Text.StringBuilder b)
    {
        b.Append($"Root = {Root}, Company = {Company}, Store = {Store}, Username = {Username}");
        return true;
    }
}

/// <summary>Builds an organization's <see cref="AimsConnection"/> from its settings (password decrypted here only).</summary>
public sealed class AimsConnections(Db db, SecretBox secrets, ServerSettings server)
{
    /// <summary>The organization's connection, or null when its AIMS settings are incomplete.</summary>
    public async Task<AimsConnection?> ForOrganizationAsync(Guid orgId, CancellationToken ct = default)
    {
        var (settings, _) = await db.ReadAsync(c => SettingsStore.LoadAsync(c, orgId), ct);
        return From(settings.Aims, orgId);
    }

    public AimsConnection? From(AimsConnectionSettings aims, Guid orgId)
    {
        var baseUrl = aims.BaseUrl is { Length: > 0 } b ? b : server.Aims.DefaultBaseUrl;
        if (baseUrl is null || aims.Company is not { Length: > 0 } company || aims.Store is not { Length: > 0 } store
            || aims.Username is not { Length: > 0 } user || aims.PasswordCipher is not { Length: > 0 } cipher)
            return null;
        return new AimsConnection(baseUrl, aims.Cluster, company, store, user, secrets.Decrypt(cipher, orgId));
    }
}
