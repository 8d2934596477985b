using System.Text.RegularExpressions;
using ElectisSpace.Core.Auth;

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

    private static string Slug(string name) => SlugRegex().Replace(name.Trim().ToUpperInvariant(), "-").Trim('-') is { Length: > 0 } s
        ? s[..Math.Min(s.Length, 40)] : "ORG";

    [GeneratedRegex("[^A-Z0-9]+")]
    private static partial Regex SlugRegex();
}
