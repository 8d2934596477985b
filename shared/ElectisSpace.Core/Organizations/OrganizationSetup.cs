using System.Text.RegularExpressions;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Settings;

namespace ElectisSpace.Core.Organizations;

public sealed record CreatedOrganization(Guid OrgId, string Code, Guid AdminUserId, string AdminEmail);

/// <summary>Creates an organization with its first admin (the bootstrap command and tests use it). No default credentials exist.</summary>
public static partial class OrganizationSetup
{
    public static async Task<CreatedOrganization> CreateAsync(Db db, Passwords passwords, string name, string? code,
        string adminEmail, string adminPassword, CancellationToken ct = default)
    {
        var v = new Validator().Required("org", name).MaxLength("org", name, 100)
            .Required("email", adminEmail).Email("email", adminEmail).Required("password", adminPassword);
        v.ThrowIfInvalid();
        Passwords.CheckPolicy("password", adminPassword);
        var orgCode = string.IsNullOrWhiteSpace(code) ? Slug(name) : code.Trim();
        if (orgCode.Length is 0 or > 40) throw ApiException.Validation("The organization code must be 1 to 40 characters.", new FieldError("code", "1 to 40 characters."));

        return await db.InTransactionAsync(async (c, tx) =>
        {
            var orgId = await c.QuerySingleAsync<Guid>(
                "INSERT INTO organizations (name, code) VALUES (@name, @orgCode) RETURNING id", new { name, orgCode }, tx);
            var userId = await c.QuerySingleAsync<Guid>("""
                INSERT INTO users (org_id, email, password_hash, first_name, role) VALUES (@orgId, @email, @hash, 'Admin', 'admin') RETURNING id
                """, new { orgId, email = adminEmail.Trim(), hash = passwords.Hash(adminPassword) }, tx);
            var who = new AuditContext(orgId, userId, null, "bootstrap");
            await AuditLog.WriteAsync(c, tx, who, AuditActions.Create, "organization", orgId, null, new { name, code = orgCode });
            await AuditLog.WriteAsync(c, tx, who, AuditActions.Create, "user", userId, null, new { email = adminEmail, role = "admin" });
            return new CreatedOrganization(orgId, orgCode, userId, adminEmail.Trim());
        }, ct);
    }

    /// <summary>
    /// Points an organization at its AIMS company and store (the set-aims command; the run script uses it for the
    /// emulator). The password is stored encrypted, as PATCH /settings does; the change is audited.
    /// </summary>
    public static async Task SetAimsConnectionAsync(Db db, SecretBox secrets, string orgCode, AimsConnectionSettings aims, string password,
        CancellationToken ct = default)
    {
        var v = new Validator().Required("org", orgCode).Required("company", aims.Company).Required("store", aims.Store)
            .Required("username", aims.Username).Required("password", password);
        if (aims.BaseUrl is { Length: > 0 } url)
            v.When(!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"), "baseUrl", "An absolute http(s) URL.");
        v.ThrowIfInvalid();
        await db.InTransactionAsync(async (c, tx) =>
        {
            var orgId = await c.QuerySingleOrDefaultAsync<Guid?>("SELECT id FROM organizations WHERE code = @orgCode", new { orgCode }, tx)
                ?? throw ApiException.NotFound($"No organization has the code '{orgCode}'.");
            var (settings, _) = await SettingsStore.LoadAsync(c, orgId, tx, forUpdate: true);
            var before = SettingsDto.From(settings, 0).Aims;
            settings.Aims = new AimsConnectionSettings
            {
                BaseUrl = aims.BaseUrl is { Length: > 0 } b ? b : null, Cluster = aims.Cluster, Company = aims.Company, Store = aims.Store,
                Username = aims.Username, PasswordCipher = secrets.Encrypt(password, orgId),
            };
            await SettingsStore.SaveAsync(c, tx, orgId, settings);
            await AuditLog.WriteAsync(c, tx, new AuditContext(orgId, null, null, "bootstrap"), AuditActions.Update, "settings", orgId,
                new { aims = before }, new { aims = SettingsDto.From(settings, 0).Aims });
            return 0;
        }, ct);
    }

    private static string Slug(string name) => SlugRegex().Replace(name.Trim().ToUpperInvariant(), "-").Trim('-') is { Length: > 0 } s
        ? s[..Math.Min(s.Length, 40)] : "ORG";

    [GeneratedRegex("[^A-Z0-9]+")]
    private static partial Regex SlugRegex();
}
