using System.Security.Claims;
using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ElectisSpace.Core.Auth;

public abstract record TokenCheck
{
    public sealed record Valid(CurrentUser User) : TokenCheck;
    public sealed record Expired : TokenCheck;
    public sealed record Invalid : TokenCheck;
}

/// <summary>
/// Issues and validates the 15-minute HS256 access tokens (claims sub, org, role, email, jti, and sid: the session,
/// i.e. the refresh-token family, so <see cref="RequestAuthenticator"/> can refuse a token whose session has ended).
/// </summary>
public sealed class AccessTokens
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = true };
    private readonly SigningCredentials _credentials;
    private readonly TokenValidationParameters _validation;
    private readonly ServerSettings _settings;
    private readonly TimeProvider _clock;

    public AccessTokens(ServerSettings settings, TimeProvider clock)
    {
        _settings = settings;
        _clock = clock;
        var key = new SymmetricSecurityKey(settings.JwtSigningKey);
        _credentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256);
        _validation = new TokenValidationParameters
        {
            ValidIssuer = settings.JwtIssuer,
            ValidAudience = settings.JwtAudience,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, p) => ValidateLifetime(notBefore, expires, p),
        };
    }

    public const string SessionClaim = "sid";

    public int LifetimeSeconds => (int)_settings.AccessTokenLifetime.TotalSeconds;

    public string Issue(CurrentUser user, Guid sessionId)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _settings.JwtIssuer,
            Audience = _settings.JwtAudience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + _settings.AccessTokenLifetime,
            SigningCredentials = _credentials,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = user.UserId.ToString(),
                ["org"] = user.OrgId.ToString(),
                ["role"] = EnumNames.Name(user.Role),
                [JwtRegisteredClaimNames.Email] = user.Email,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString(),
                [SessionClaim] = sessionId.ToString(),
            },
        });
    }

    /// <summary>Valid tokens kept at most (least recently used go first): ~1.5 KB each.</summary>
    public const int MaxKept = 10_000;

    /// <summary>
    /// Tokens that passed every check but the lifetime's, with what they say and when they are valid. A client sends the
    /// same token with every request for its 15 minutes, and validating it (parse, HMAC, claims identity) was redone each
    /// time; the token's text decides the outcome of those checks under one signing key (a new key means a new process),
    /// so a token is validated once and only its lifetime is checked again on each use. Invalid tokens are never kept.
    /// Whether the user and the session still hold is not a property of the token: RequestAuthenticator asks the database every time.
    /// </summary>
    private readonly MemoryCache _kept = new(new MemoryCacheOptions { SizeLimit = MaxKept });

    private sealed record Kept(CurrentUser User, DateTime NotBefore, DateTime Expires);

    public async Task<TokenCheck> ValidateAsync(string token)
    {
        if (_kept.TryGetValue(token, out Kept? kept))
        {
            var now = _clock.GetUtcNow().UtcDateTime;
            if (kept!.Expires < now - _validation.ClockSkew) return new TokenCheck.Expired();
            return kept.NotBefore > now + _validation.ClockSkew ? new TokenCheck.Invalid() : new TokenCheck.Valid(kept.User);
        }
        var result = await _handler.ValidateTokenAsync(token, _validation);
        if (!result.IsValid)
            return result.Exception is SecurityTokenExpiredException ? new TokenCheck.Expired() : new TokenCheck.Invalid();
        var c = result.ClaimsIdentity;
        if (!Guid.TryParse(c.FindFirst(JwtRegisteredClaimNames.Sub)?.Value, out var sub)
            || !Guid.TryParse(c.FindFirst("org")?.Value, out var org)
            || !EnumNames.TryParse<Role>(c.FindFirst("role")?.Value ?? "", out var role)
            || !Guid.TryParse(c.FindFirst(SessionClaim)?.Value, out var sid))
            return new TokenCheck.Invalid();
        var user = new CurrentUser(sub, org, role, c.FindFirst(JwtRegisteredClaimNames.Email)?.Value ?? "") { SessionId = sid };
        var jwt = (JsonWebToken)result.SecurityToken;
        _kept.Set(token, new Kept(user, jwt.ValidFrom, jwt.ValidTo), new MemoryCacheEntryOptions
        {
            Size = 1,
            // Gone from memory after its lifetime (on the system clock; validity itself is checked on the injected one).
            AbsoluteExpiration = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero) + _validation.ClockSkew,
        });
        return new TokenCheck.Valid(user);
    }

    // Lifetime is checked against the injected clock (not DateTime.UtcNow) so tests can move time.
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, TokenValidationParameters p)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        if (expires is null) return false;
        if (notBefore is { } nb && nb > now + p.ClockSkew) throw new SecurityTokenNotYetValidException("Token not yet valid.");
        if (expires.Value < now - p.ClockSkew) throw new SecurityTokenExpiredException("Token expired.") { Expires = expires.Value };
        return true;
    }
}
