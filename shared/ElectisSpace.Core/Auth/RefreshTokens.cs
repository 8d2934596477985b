using System.Security.Cryptography;
using ElectisSpace.Core.Configuration;

namespace ElectisSpace.Core.Auth;

/// <summary>
/// Opaque 256-bit refresh tokens, stored only as SHA-256 hashes. Each refresh rotates the token within its
/// family; presenting a token that was already rotated means it was copied, so the whole family is revoked.
/// </summary>
public sealed class RefreshTokens(ServerSettings settings, TimeProvider clock)
{
    public TimeSpan Lifetime => settings.RefreshTokenLifetime;

    public static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    /// <summary>Creates a token in the given family (a new family for a fresh login).</summary>
    public async Task<string> IssueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId, Guid userId, Guid? familyId = null)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await conn.ExecuteAsync("""
            INSERT INTO refresh_tokens (org_id, user_id, family_id, token_hash, expires_at)
            VALUES (@OrgId, @UserId, @FamilyId, @Hash, @ExpiresAt)
            """, new { OrgId = orgId, UserId = userId, FamilyId = familyId ?? Guid.NewGuid(), Hash = Hash(token),
                       ExpiresAt = clock.GetUtcNow() + Lifetime }, tx);
        return token;
    }

    // A class, not a positional record: Dapper binds constructors by exact type, and Npgsql reads timestamptz as DateTime.
    public sealed class Stored
    {
        public Guid Id { get; init; }
        public Guid OrgId { get; init; }
        public Guid UserId { get; init; }
        public Guid FamilyId { get; init; }
        public DateTimeOffset ExpiresAt { get; init; }
        public DateTimeOffset? RotatedAt { get; init; }
        public DateTimeOffset? RevokedAt { get; init; }
    }

    /// <summary>The stored token, locked for the rest of the transaction so two refreshes can't both rotate it.</summary>
    public Task<Stored?> FindForUpdateAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string token) =>
        conn.QuerySingleOrDefaultAsync<Stored>("""
            SELECT id AS Id, org_id AS OrgId, user_id AS UserId, family_id AS FamilyId, expires_at AS ExpiresAt,
                   rotated_at AS RotatedAt, revoked_at AS RevokedAt
            FROM refresh_tokens WHERE token_hash = @Hash FOR UPDATE
            """, new { Hash = Hash(token) }, tx);

    public Task MarkRotatedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Stored t) =>
        conn.ExecuteAsync("UPDATE refresh_tokens SET rotated_at = now() WHERE id = @Id AND org_id = @OrgId", new { t.Id, t.OrgId }, tx);

    public Task<int> RevokeFamilyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId, Guid familyId, string reason) =>
        conn.ExecuteAsync("""
            UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = @Reason
            WHERE org_id = @OrgId AND family_id = @FamilyId AND revoked_at IS NULL
            """, new { OrgId = orgId, FamilyId = familyId, Reason = reason }, tx);

    public Task<int> RevokeAllForUserAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid orgId, Guid userId, string reason) =>
        conn.ExecuteAsync("""
            UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = @Reason
            WHERE org_id = @OrgId AND user_id = @UserId AND revoked_at IS NULL
            """, new { OrgId = orgId, UserId = userId, Reason = reason }, tx);
}
