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
public sealed class RequestAuthenticator(AccessTokens tokens, Db db, Events.EventTickets? tickets = null)
{
    /// <summary>
    /// The user the access token names (signature, issuer, audience and lifetime checked); not yet checked against the database.
    /// On a route that takes them (<see cref="Routing.ApiRoute.AcceptsTicket"/>), a request without the header may bring a
    /// one-use ticket instead (?ticket=, <see cref="Events.EventTickets"/>), which names the user it was issued to.
    /// </summary>
    public async Task<CurrentUser> ClaimAsync(HttpRequest req)
    {
        var header = req.Headers.Authorization.ToString();
        if (header.Length == 0 && tickets is not null && req.Query["ticket"].ToString() is { Length: > 0 } ticket
            && Routing.ApiRoute.Current(req.HttpContext) is { AcceptsTicket: true })
            return await tickets.ConsumeAsync(ticket, req.HttpContext.RequestAborted);
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
        foreach (var (name, value) in CheckParameters(claimed)) args.Add(name, value);
    }

    /// <summary>The values of the parameters <see cref="CheckSql"/> names, by name.</summary>
    internal static (string Name, object Value)[] CheckParameters(CurrentUser claimed) =>
        [("SignInUserId", claimed.UserId), ("SignInOrgId", claimed.OrgId), ("SignInSessionId", claimed.SessionId)];

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
/// A request's sign-in check that has not run yet: its token is valid, and the check goes to PostgreSQL with work the request
/// sends anyway, one round trip instead of two. A list sends it in the batch of its first read (Api.RunList); nothing read is
/// used before <see cref="Complete"/> has confirmed the user and demanded the route's permission. A write sends it in the
/// batch of its commit (Api.RunWrite, <see cref="CommitCheck"/>): a refused check aborts the batch before COMMIT, so nothing
/// the request wrote is kept. Either way Api.Run makes sure no answer, error or not, leaves before the check has passed.
/// </summary>
public sealed class PendingSignIn(CurrentUser claimed, Permission? permission)
{
    // The request's check for Db to send with its commits. An AsyncLocal, so every transaction of the request's flow carries
    // it without each handler passing it on, and none can commit without it (Db.InTransactionAsync).
    private static readonly AsyncLocal<PendingSignIn?> RidingWithCommits = new();
    private int _passed;
    private int _riding;

    /// <summary>The organization the token names, which the check confirms; what the read is scoped to.</summary>
    public Guid OrgId => claimed.OrgId;

    /// <summary>The user as the token has it (role and email from when it was issued).</summary>
    public CurrentUser Claimed => claimed;

    /// <summary>Whether the token's role has the route's permission: only then may a write run before the check.</summary>
    public bool ClaimAllowed => Allows(claimed.Role);

    private bool Allows(Role role) => permission is not { } p || Permissions.Allows(role, p);

    /// <summary>Whether the check has passed (alone, with a read, or at a commit).</summary>
    public bool Passed => Volatile.Read(ref _passed) == 1;

    /// <summary>The check this request's transactions send with their commits, while it has not passed.</summary>
    public static PendingSignIn? ForCommit =>
        RidingWithCommits.Value is { Passed: false } s && Volatile.Read(ref s._riding) == 1 ? s : null;

    /// <summary>From here on in the caller's flow, every commit sends the check until one passes (synchronous, so it holds for the caller).</summary>
    public void RideWithCommits()
    {
        Volatile.Write(ref _riding, 1);
        RidingWithCommits.Value = this;
    }

    /// <summary>The request has ended: nothing that inherited its flow sends this check any more.</summary>
    public void StopRiding() => Volatile.Write(ref _riding, 0);

    public void AddParameters(DynamicParameters args) => RequestAuthenticator.AddCheckParameters(args, claimed);

    /// <summary>The confirmed user, or 401/403.</summary>
    public CurrentUser Complete(SignInRow? row)
    {
        var user = RequestAuthenticator.Confirm(claimed, row);
        if (permission is { } p) Permissions.Demand(user, p);
        Volatile.Write(ref _passed, 1);
        return user;
    }

    /// <summary>The check on its own, for a request whose read or commit did not carry it.</summary>
    public async Task<CurrentUser> RunAsync(RequestAuthenticator auth, CancellationToken ct)
    {
        RidingWithCommits.Value = null; // for this call's flow only: the read below is the check, Db must not send it first too
        return Complete(await auth.ReadCheckAsync(claimed, ct));
    }

    /// <summary>The check on its own, on the connection the request already holds.</summary>
    public async Task<CurrentUser> RunAsync(NpgsqlConnection c) => Complete(await RequestAuthenticator.ReadCheckAsync(c, claimed));

    /// <summary>SQLSTATE of refuse_sign_in() (migration 0019): the check in a commit batch refused the request.</summary>
    public const string RefusedAtCommit = "ES401";

    /// <summary>
    /// The check as the first statement of a commit batch: the same statement as on its own, and a call of refuse_sign_in()
    /// (which aborts the batch, COMMIT included) unless it finds the user active, the session live and the database's role
    /// one that has the route's permission. Which of these failed, and so the answer, comes from the check run on its own
    /// after the rollback (Api.Run).
    /// </summary>
    public NpgsqlBatchCommand CommitCheck()
    {
        var command = new NpgsqlBatchCommand($"""
            SELECT refuse_sign_in() FROM (SELECT 1) AS one LEFT JOIN ({RequestAuthenticator.CheckSql}) AS c ON true
            WHERE NOT coalesce(c.IsActive AND c.SessionActive AND c.Role = ANY(@SignInRoles), false)
            """);
        foreach (var (name, value) in RequestAuthenticator.CheckParameters(claimed)) command.Parameters.AddWithValue(name, value);
        command.Parameters.AddWithValue("SignInRoles", Enum.GetValues<Role>().Where(Allows).Select(r => EnumNames.Name(r)).ToArray());
        return command;
    }

    /// <summary>A commit that carried the check succeeded: it passed (the user, as the token names them, is confirmed).</summary>
    public void PassedAtCommit() => Volatile.Write(ref _passed, 1);
}
