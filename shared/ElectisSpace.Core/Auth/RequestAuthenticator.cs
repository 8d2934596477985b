using ElectisSpace.Core.Database;

namespace ElectisSpace.Core.Auth;

/// <summary>
/// Turns the Authorization header into the current user. The token proves who the caller is; the database
/// says whether that user is still active and what role they have now, so deactivation and role changes
/// take effect on the next request rather than when the token expires.
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
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<UserState>(
            "SELECT role AS Role, is_active AS IsActive, email AS Email FROM users WHERE id = @UserId AND org_id = @OrgId",
            new { claimed.UserId, claimed.OrgId }), ct);
        if (row is not { IsActive: true } r)
            throw ApiException.Unauthorized("This account no longer exists or has been deactivated.");
        return claimed with { Role = EnumNames.Parse<Role>(r.Role), Email = r.Email };
    }

    private sealed record UserState(string Role, bool IsActive, string Email);
}
