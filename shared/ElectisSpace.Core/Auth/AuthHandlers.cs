using System.ComponentModel;
using Required = System.ComponentModel.DataAnnotations.RequiredAttribute;
using EmailAddress = System.ComponentModel.DataAnnotations.EmailAddressAttribute;
using StringLength = System.ComponentModel.DataAnnotations.StringLengthAttribute;
using RegularExpression = System.ComponentModel.DataAnnotations.RegularExpressionAttribute;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Users;

namespace ElectisSpace.Core.Auth;

// Request DTOs: the DataAnnotations attributes describe what the handler's Validator enforces, for the OpenAPI document.
public sealed record LoginRequest(
    [Required, EmailAddress, StringLength(255)] string? Email,
    [Required, StringLength(128)] string? Password,
    [StringLength(40), Description("Organization code; only needed when the same email has an account in several organizations.")] string? Organization);
public sealed record RefreshRequest(
    [Description("The refresh token; may be omitted when the refreshToken cookie is sent.")] string? RefreshToken);
public sealed record ChangePasswordRequest(
    [Required] string? CurrentPassword,
    [Required, StringLength(128, MinimumLength = 8), RegularExpression(Passwords.PolicyPattern), Description(Passwords.PolicyText)] string? NewPassword);
public sealed record OrganizationRef(Guid Id, string Name, string Code);
public sealed record LoginUser(Guid Id, string Email, string? FirstName, string? LastName, Role Role, OrganizationRef Organization);
public sealed record TokenResponse(string AccessToken, string RefreshToken, int ExpiresIn, string TokenType, LoginUser User);
public sealed record MessageResponse(string Message);

/// <summary>/api/auth: login, refresh (rotating), logout, change-password.</summary>
public static class AuthHandlers
{
    public const string RefreshCookie = "refreshToken";
    private const int MaxFailedLogins = 10;
    private static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);
    private const string InvalidCredentials = "Invalid email or password.";

    public static Task<IResult> Login(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var body = await ctx.ReadJsonAsync<LoginRequest>();
        new Validator().Required("email", body.Email).Email("email", body.Email)
            .Required("password", body.Password).MaxLength("password", body.Password, 128)
            .MaxLength("organization", body.Organization, 40).ThrowIfInvalid();
        var email = body.Email!.Trim();

        await ctx.Service<RateLimiter>().HitAsync(
            [$"login:ip:{ctx.Ip}", $"login:email:{email.ToLowerInvariant()}"],
            ctx.Service<ServerSettings>().LoginPerMinute, TimeSpan.FromMinutes(1), ctx.Aborted);

        var passwords = ctx.Service<Passwords>();
        var clock = ctx.Service<TimeProvider>();
        var tokens = ctx.Service<RefreshTokens>();
        var now = clock.GetUtcNow();

        // The password checks (PBKDF2: CPU work) run before any row is locked, so parallel logins, of many users or of one,
        // use every core instead of queueing on the user row. The writes after them are single atomic statements that
        // re-check what the decision rested on (the same hash, not locked, active), so a concurrent lockout, password
        // change or deactivation still wins. The outcome is thrown after commit: a failed login persists its counter and audit row.
        var db = ctx.Service<Db>();
        var candidates = (await db.ReadAsync(c => UsersRepository.FindByEmailAsync(c, email, body.Organization), ctx.Aborted)).ToList();
        UserRow? match = null;
        ApiException? early = null;
        if (candidates.Count == 0) passwords.Verify(passwords.DummyHash, body.Password!); // same cost as a wrong password
        foreach (var u in candidates)
        {
            if (u.LockedUntil > now) { early = Locked(u.LockedUntil.Value); break; }
            if (passwords.Verify(u.PasswordHash, body.Password!)) { match = u; break; }
        }

        var (outcome, response) = early is not null ? (early, (TokenResponse?)null) : await db.InTransactionAsync(async (c, tx) =>
        {
            if (candidates.Count == 0)
            {
                await AuditLog.WriteAsync(c, tx, new AuditContext(null, null, ctx.Ip, ctx.UserAgent),
                    AuditActions.LoginFailed, "user", null, null, new { email, reason = "unknown email" });
                return (ApiException.Unauthorized(InvalidCredentials), (TokenResponse?)null);
            }
            if (match is { } u)
            {
                var who = new AuditContext(u.OrgId, u.Id, ctx.Ip, ctx.UserAgent);
                if (!u.IsActive)
                {
                    await AuditLog.WriteAsync(c, tx, who, AuditActions.LoginFailed, "user", u.Id, null, new { reason = "deactivated" });
                    return (ApiException.Unauthorized("This account has been deactivated."), null);
                }
                var signedIn = await c.ExecuteAsync("""
                    UPDATE users SET last_login_at = now(), failed_login_count = 0, locked_until = NULL
                    WHERE org_id = @OrgId AND id = @Id AND is_active AND password_hash = @PasswordHash
                      AND (locked_until IS NULL OR locked_until <= @Now)
                    """, new { u.OrgId, u.Id, u.PasswordHash, Now = now }, tx);
                if (signedIn == 0) // changed since it was read: decide on what it is now
                {
                    var current = await UsersRepository.GetAsync(c, u.OrgId, u.Id, tx);
                    return (current?.LockedUntil > now ? Locked(current.LockedUntil.Value)
                        : current is { IsActive: false } ? ApiException.Unauthorized("This account has been deactivated.")
                        : ApiException.Unauthorized(InvalidCredentials), null);
                }
                await AuditLog.WriteAsync(c, tx, who, AuditActions.Login, "user", u.Id);
                var session = Guid.NewGuid();
                var refresh = await tokens.IssueAsync(c, tx, u.OrgId, u.Id, session);
                return ((ApiException?)null, await TokenResponseAsync(ctx, c, tx, u, refresh, session));
            }
            // Wrong password: count it against every candidate account (normally exactly one), atomically in the row.
            ApiException failure = ApiException.Unauthorized(InvalidCredentials);
            var lockUntil = now + LockoutDuration;
            foreach (var candidate in candidates)
            {
                var counted = await c.QuerySingleAsync<FailedLoginCount>("""
                    UPDATE users SET
                        failed_login_count = CASE WHEN failed_login_count + 1 >= @Max THEN 0 ELSE failed_login_count + 1 END,
                        locked_until = CASE WHEN failed_login_count + 1 >= @Max THEN @LockUntil ELSE locked_until END
                    WHERE org_id = @OrgId AND id = @Id
                    RETURNING failed_login_count AS Count, CASE WHEN failed_login_count = 0 THEN locked_until END AS LockedUntil
                    """, new { Max = MaxFailedLogins, LockUntil = lockUntil, candidate.OrgId, candidate.Id }, tx);
                var (count, lockedUntil) = (counted.Count, counted.LockedUntil);
                var attempts = lockedUntil is null ? count : MaxFailedLogins; // a lockout resets the counter
                await AuditLog.WriteAsync(c, tx, new AuditContext(candidate.OrgId, candidate.Id, ctx.Ip, ctx.UserAgent),
                    AuditActions.LoginFailed, "user", candidate.Id, null, new { reason = "wrong password", failedAttempts = attempts, lockedUntil });
                if (lockedUntil is { } until && candidates.Count == 1) failure = Locked(until);
            }
            return (failure, null);
        }, ctx.Aborted);

        if (outcome is not null) throw outcome;
        SetRefreshCookie(ctx, response!.RefreshToken);
        return ApiResults.Ok(response);
    });

    private sealed class FailedLoginCount
    {
        public int Count { get; init; }
        public DateTimeOffset? LockedUntil { get; init; }
    }

    public static Task<IResult> Refresh(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var token = await ReadRefreshTokenAsync(ctx);
        if (token is null)
            throw ApiException.Validation("A refresh token is required (body refreshToken or the refreshToken cookie).",
                new FieldError("refreshToken", "refreshToken is required."));
        await ctx.Service<RateLimiter>().HitAsync([$"refresh:ip:{ctx.Ip}"], ctx.Service<ServerSettings>().RefreshPerMinute, TimeSpan.FromMinutes(1), ctx.Aborted);

        var tokens = ctx.Service<RefreshTokens>();
        var now = ctx.Service<TimeProvider>().GetUtcNow();
        var (outcome, response) = await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var stored = await tokens.FindForUpdateAsync(c, tx, token);
            if (stored is null) return (ApiException.Unauthorized("The refresh token is not valid."), (TokenResponse?)null);
            if (stored.RotatedAt is not null && stored.RevokedAt is null)
            {
                // A rotated token came back: someone holds a copy. End the whole session family.
                await tokens.RevokeFamilyAsync(c, tx, stored.OrgId, stored.FamilyId, "reuse detected");
                await AuditLog.WriteAsync(c, tx, new AuditContext(stored.OrgId, stored.UserId, ctx.Ip, ctx.UserAgent),
                    AuditActions.TokenReuse, "user", stored.UserId, null, new { familyId = stored.FamilyId });
                return (ApiException.Unauthorized("The refresh token was already used; the session has been revoked. Log in again."), null);
            }
            if (stored.RevokedAt is not null) return (ApiException.Unauthorized("The refresh token has been revoked."), null);
            if (stored.ExpiresAt <= now) return (ApiException.Unauthorized("The refresh token has expired. Log in again."), null);
            var user = await UsersRepository.GetAsync(c, stored.OrgId, stored.UserId, tx);
            if (user is not { IsActive: true })
                return (ApiException.Unauthorized("This account has been deactivated."), null);
            await tokens.MarkRotatedAsync(c, tx, stored);
            var next = await tokens.IssueAsync(c, tx, stored.OrgId, stored.UserId, stored.FamilyId);
            return ((ApiException?)null, await TokenResponseAsync(ctx, c, tx, user, next, stored.FamilyId));
        }, ctx.Aborted);
        if (outcome is not null) throw outcome;
        SetRefreshCookie(ctx, response!.RefreshToken);
        return ApiResults.Ok(response);
    });

    /// <summary>Ends the session of the presented refresh token (body or cookie) and clears the cookie. Idempotent.</summary>
    public static Task<IResult> Logout(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var token = await ReadRefreshTokenAsync(ctx);
        if (token is not null)
        {
            var tokens = ctx.Service<RefreshTokens>();
            await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
            {
                var stored = await tokens.FindForUpdateAsync(c, tx, token);
                if (stored is null || stored.RevokedAt is not null) return;
                await tokens.RevokeFamilyAsync(c, tx, stored.OrgId, stored.FamilyId, "logout");
                await AuditLog.WriteAsync(c, tx, new AuditContext(stored.OrgId, stored.UserId, ctx.Ip, ctx.UserAgent),
                    AuditActions.Logout, "user", stored.UserId);
            }, ctx.Aborted);
        }
        ctx.Request.HttpContext.Response.Cookies.Delete(RefreshCookie, CookieOptions(ctx, TimeSpan.Zero));
        return ApiResults.NoContent();
    });

    public static Task<IResult> ChangePassword(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var body = await ctx.ReadJsonAsync<ChangePasswordRequest>();
        new Validator().Required("currentPassword", body.CurrentPassword).Required("newPassword", body.NewPassword).ThrowIfInvalid();
        Passwords.CheckPolicy("newPassword", body.NewPassword!);
        var passwords = ctx.Service<Passwords>();
        await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var user = await UsersRepository.GetAsync(c, ctx.User.OrgId, ctx.User.UserId, tx, forUpdate: true)
                       ?? throw ApiException.Unauthorized();
            if (!passwords.Verify(user.PasswordHash, body.CurrentPassword!))
                throw ApiException.Validation("The current password is wrong.", new FieldError("currentPassword", "The current password is wrong."));
            if (passwords.Verify(user.PasswordHash, body.NewPassword!))
                throw ApiException.Validation("The new password must differ from the current one.", new FieldError("newPassword", "Choose a different password."));
            await c.ExecuteAsync("""
                UPDATE users SET password_hash = @Hash, password_changed_at = now(), updated_at = now()
                WHERE org_id = @OrgId AND id = @UserId
                """, new { Hash = passwords.Hash(body.NewPassword!), ctx.User.OrgId, ctx.User.UserId }, tx);
            await ctx.Service<RefreshTokens>().RevokeAllForUserAsync(c, tx, ctx.User.OrgId, ctx.User.UserId, "password changed");
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.ChangePassword, "user", ctx.User.UserId);
        }, ctx.Aborted);
        return ApiResults.Ok(new MessageResponse("Password changed. Every session of this account has been signed out; log in again."));
    });

    private static ApiException Locked(DateTimeOffset until) =>
        new(401, ErrorCodes.Unauthorized,
            $"This account is locked after too many failed logins. Try again after {until:u}.",
            new { lockedUntil = until });

    private static async Task<TokenResponse> TokenResponseAsync(RequestContext ctx, NpgsqlConnection c, NpgsqlTransaction tx, UserRow u, string refresh, Guid session)
    {
        var org = await c.QuerySingleAsync<OrganizationRef>(
            "SELECT id AS Id, name AS Name, code AS Code FROM organizations WHERE id = @OrgId", new { u.OrgId }, tx);
        var access = ctx.Service<AccessTokens>();
        return new TokenResponse(access.Issue(u.AsCurrentUser(), session), refresh, access.LifetimeSeconds, "Bearer",
            new LoginUser(u.Id, u.Email, u.FirstName, u.LastName, u.RoleValue, org));
    }

    private static async Task<string?> ReadRefreshTokenAsync(RequestContext ctx)
    {
        if (ctx.Request.ContentLength is > 0 || ctx.Request.Headers.TransferEncoding.Count > 0)
        {
            var body = await ctx.ReadJsonAsync<RefreshRequest>();
            // Ours are 43 characters; anything far longer is not a refresh token, and is said so rather than looked up.
            if (body.RefreshToken is { Length: > 200 })
                throw ApiException.Validation("refreshToken is not a refresh token.", new FieldError("refreshToken", "At most 200 characters."));
            if (!string.IsNullOrWhiteSpace(body.RefreshToken)) return body.RefreshToken.Trim();
        }
        return ctx.Request.Cookies.TryGetValue(RefreshCookie, out var cookie) && !string.IsNullOrWhiteSpace(cookie) ? cookie : null;
    }

    private static void SetRefreshCookie(RequestContext ctx, string token) =>
        ctx.Request.HttpContext.Response.Cookies.Append(RefreshCookie, token,
            CookieOptions(ctx, ctx.Service<RefreshTokens>().Lifetime));

    private static CookieOptions CookieOptions(RequestContext ctx, TimeSpan maxAge) => new()
    {
        HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, Path = "/api/auth", MaxAge = maxAge,
    };
}
