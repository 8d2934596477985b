using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace ElectisSpace.Tests.Auth;

/// <summary>
/// AccessTokens keeps the tokens it has validated and then checks only their lifetime (Auth/AccessTokens.cs): a kept
/// token must still expire on time, on the injected clock, and only the exact text that was validated is kept.
/// </summary>
public sealed class AccessTokenTests
{
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static ServerSettings Settings() =>
        ServerSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(TestApp.DefaultSettings("Host=unused")!).Build());

    [Fact]
    public async Task A_token_validated_before_still_expires_on_time_and_an_altered_copy_is_refused()
    {
        var settings = Settings();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var tokens = new AccessTokens(settings, clock);
        var user = new CurrentUser(Guid.NewGuid(), Guid.NewGuid(), Role.Manager, "m@example.test");
        var token = tokens.Issue(user, Guid.NewGuid());

        for (var i = 0; i < 2; i++) // validated, then kept
            Assert.Equal(user.UserId, Assert.IsType<TokenCheck.Valid>(await tokens.ValidateAsync(token)).User.UserId);
        var altered = token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];
        Assert.IsType<TokenCheck.Invalid>(await tokens.ValidateAsync(altered));

        clock.Now += settings.AccessTokenLifetime - TimeSpan.FromSeconds(1);
        Assert.IsType<TokenCheck.Valid>(await tokens.ValidateAsync(token));
        clock.Now += TimeSpan.FromMinutes(1); // past its expiry and the 30 s of clock skew
        Assert.IsType<TokenCheck.Expired>(await tokens.ValidateAsync(token));
    }
}
