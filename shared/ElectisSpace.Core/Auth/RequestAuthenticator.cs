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
/// A list read can send this query in the batch of its own statements (<see cref="PendingSignIn"/>).
/// </summary>
public sealed class RequestAuthenticator(AccessTokens tokens, Db db)
{
    /// <summary>The user the access token names (signature, issuer, audience and lifetime checked); not yet checked against the database.</summary>
    public async Task<CurrentUser> ClaimAsync(HttpRequest req)
    {
        var header = req.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
            throw ApiException.Unauthorized("A bearer access token is required.");
        return await tokens.ValidateAsync(header[7..].Trim()) switch
        {
            TokenCheck.Valid v => v.User,
            TokenCheck.Expired => throw ApiException.TokenExpired(),
            _ => throw ApiException.Unauthorized("The access token is invalid."),
        };
    }

    /// <summary>The check's row for the claimed user, read on its own.</summary>
    public Task<SignInRow?> ReadCheckAsync(CurrentUser claimed, CancellationToken ct) => db.ReadAsync(c => ReadCheckAsync(c, claimed), ct);

    /// <summary>The check's row for the claimed user, read on this connection.</summary>
    public static Task<SignInRow?> ReadCheckAsync(NpgsqlConnection c, CurrentUser claimed)
    {
        var args = new DynamicParameters();
        AddCheckParameters(args, claimed);
        return c.QuerySingleOrDefaultAsync<SignInRow?>(CheckSql, args);
    }

    /// <summary>The check's one statement. Its parameters have names of their own, so it can share a list's parameter bag.</summary>
    public const string CheckSql = """
        SELECT u.role AS Role, u.is_active AS IsActive, u.email AS Email,
               EXISTS (SELECT 1 FROM refresh_tokens t
                       WHERE t.family_id = @SignInSessionId AND t.org_id = u.org_id AND t.user_id = u.id AND t.revoked_at IS NULL) AS SessionActive,
               (SELECT coalesce(sum(v.v), 0)::bigint FROM list_versions v WHERE v.org_id = u.org_id) AS ListVersion
        FROM users u WHERE u.id = @SignInUserId AND u.org_id = @SignInOrgId
        """;

    public static void AddCheckParameters(DynamicParameters args, CurrentUser claimed)
    {
        args.Add("SignInUserId", claimed.UserId);
        args.Add("SignInOrgId", claimed.OrgId);
        args.Add("SignInSessionId", claimed.SessionId);
    }

    /// <summary>The user with the role, email and list counter the check read, or 401 when the check found no active user or session.</summary>
    public static CurrentUser Confirm(CurrentUser claimed, SignInRow? row)
    {
        if (row is not { IsActive: true } r)
            throw ApiException.Unauthorized("This account no longer exists or has been deactivated.");
        if (!r.SessionActive)
            throw ApiException.Unauthorized("This session has ended (logout, password change or a reused refresh token). Log in again.");
        return claimed with { Role = EnumNames.Parse<Role>(r.Role), Email = r.Email, ListVersion = r.ListVersion };
    }
}

/// <summary>What <see cref="RequestAuthenticator.CheckSql"/> reads.</summary>
public sealed record SignInRow(string Role, bool IsActive, string Email, bool SessionActive, long ListVersion);

/// <summary>
/// A request's sign-in check that has not run yet: its token is valid, and the check goes to PostgreSQL in the same batch as
/// the request's first read (a list page), one round trip instead of two. Nothing read is used, and no answer leaves, before
/// <see cref="Complete"/> has confirmed the user and demanded the route's permission (Api.Run makes sure of that for every
/// answer, error or not).
/// </summary>
public sealed class PendingSignIn(CurrentUser claimed, Permission? permission)
{
    /// <summary>The organization the token names, which the check confirms; what the read is scoped to.</summary>
    public Guid OrgId => claimed.OrgId;

    public void AddParameters(DynamicParameters args) => RequestAuthenticator.AddCheckParameters(args, claimed);

    /// <summary>The confirmed user, or 401/403.</summary>
    public CurrentUser Complete(SignInRow? row)
    {
        var user = RequestAuthenticator.Confirm(claimed, row);
        if (permission is { } p) Permissions.Demand(user, p);
        return user;
    }

    /// <summary>The check on its own, for a request whose read did not carry it.</summary>
    public async Task<CurrentUser> RunAsync(RequestAuthenticator auth, CancellationToken ct) => Complete(await auth.ReadCheckAsync(claimed, ct));

    /// <summary>The check on its own, on the connection the request already holds.</summary>
    public async Task<CurrentUser> RunAsync(NpgsqlConnection c) => Complete(await RequestAuthenticator.ReadCheckAsync(c, claimed));
}
