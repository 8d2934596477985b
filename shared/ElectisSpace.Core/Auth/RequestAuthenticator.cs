using ElectisSpace.Core.Database;

namespace ElectisSpace.Core.Auth;

/// <summary>
/// Turns the Authorization header into the current user. The token proves who the caller is; the database
/// says whether that user is still active, what role they have now, and whether the token's session (its
/// refresh-token family) still has an unrevoked token, so deactivation, role changes, logout, password change
/// and refresh-token reuse take effect on the next request rather than when the token expires.
/// The session check rides in the same single query as the user check (an indexed EXISTS on family_id): no extra
/// round trip, and no in-process cache that another instance's logout could not invalidate. So does the read of the
/// organization's list change counter (CurrentUser.ListVersion), which saves cached list answers a round trip of their own.
/// </summary>
public sealed class RequestAuthenticator(AccessTokens tokens, Db db)
{
    public async Task<CurrentUser> AuthenticateAsync(HttpRequest req, CancellationToken ct)
    {
        var header = req.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
            throw ApiException.Unauthorized("A bearer access token is required.");
        var check = await tokens.ValidateAsync(header[7..].Trim());
        var claimed = check switch
        {
            TokenCheck.Valid v => v.User,
            TokenCheck.Expired => throw ApiException.TokenExpired(),
            _ => throw ApiException.Unauthorized("The access token is invalid."),
        };
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<UserState>("""
            SELECT u.role AS Role, u.is_active AS IsActive, u.email AS Email,
                   EXISTS (SELECT 1 FROM refresh_tokens t
                           WHERE t.family_id = @SessionId AND t.org_id = u.org_id AND t.user_id = u.id AND t.revoked_at IS NULL) AS SessionActive,
                   (SELECT coalesce(sum(v.v), 0)::bigint FROM list_versions v WHERE v.org_id = u.org_id) AS ListVersion
            FROM users u WHERE u.id = @UserId AND u.org_id = @OrgId
            """, new { claimed.UserId, claimed.OrgId, claimed.SessionId }), ct);
        if (row is not { IsActive: true } r)
            throw ApiException.Unauthorized("This account no longer exists or has been deactivated.");
        if (!r.SessionActive)
            throw ApiException.Unauthorized("This session has ended (logout, password change or a reused refresh token). Log in again.");
        return claimed with { Role = EnumNames.Parse<Role>(r.Role), Email = r.Email, ListVersion = r.ListVersion };
    }

    private sealed record UserState(string Role, bool IsActive, string Email, bool SessionActive, long ListVersion);
}
