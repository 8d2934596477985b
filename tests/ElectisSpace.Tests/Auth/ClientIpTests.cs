using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using ElectisSpace.Functions;
using ElectisSpace.Tests.Functions;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ElectisSpace.Tests.Auth;

/// <summary>Failed logins of unknown emails: each is rate-limited per client IP and audited with that IP.</summary>
internal static class LoginProbe
{
    public static async Task<HttpStatusCode> FailAsync(TestApp app, string? forwardedFor, string email)
    {
        using var c = app.Client();
        var req = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { email, password = "Whatever-123" }) };
        if (forwardedFor is not null) req.Headers.Add("X-Forwarded-For", forwardedFor);
        return (await c.SendAsync(req)).StatusCode;
    }

    public static async Task<string?> AuditedIpAsync(string connectionString, string email)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        return await conn.QuerySingleAsync<string?>(
            "SELECT ip_address FROM audit_logs WHERE action = 'login_failed' AND new_data->>'email' = @email", new { email });
    }

    public static string Email() => $"nobody-{Guid.NewGuid():N}@example.test";
}

public sealed class DirectClientApp : TestApp
{
    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings => [new("RateLimits:LoginPerMinute", "2")];
}

/// <summary>Standalone with no trusted proxy (the default): X-Forwarded-For is whatever the client wrote, so it is ignored.</summary>
public sealed class ClientIpDirectTests(DirectClientApp app) : IClassFixture<DirectClientApp>
{
    [Fact]
    public async Task A_forged_forwarded_for_neither_changes_the_audited_ip_nor_escapes_the_per_ip_limit()
    {
        await RateWindow.FreshMinuteAsync();
        var first = LoginProbe.Email();
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginProbe.FailAsync(app, "203.0.113.50", first));
        Assert.Equal("127.0.0.1", await LoginProbe.AuditedIpAsync(app.ConnectionString, first));

        // A new address per attempt (and a new email, so only the IP bucket counts) does not buy more attempts.
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginProbe.FailAsync(app, "203.0.113.51", LoginProbe.Email()));
        Assert.Equal(HttpStatusCode.TooManyRequests, await LoginProbe.FailAsync(app, "203.0.113.52", LoginProbe.Email()));
        Assert.Equal(HttpStatusCode.TooManyRequests, await LoginProbe.FailAsync(app, null, LoginProbe.Email()));
    }
}

public sealed class BehindProxyApp : TestApp
{
    // The test client connects from 127.0.0.1, standing in for an operator's reverse proxy.
    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings =>
        [new("RateLimits:LoginPerMinute", "2"), new("Network:TrustedProxies", "127.0.0.1, 10.20.0.0/16")];
}

/// <summary>Standalone behind a configured proxy: the right-most address the trusted hops vouch for is the client.</summary>
public sealed class ClientIpBehindProxyTests(BehindProxyApp app) : IClassFixture<BehindProxyApp>
{
    [Fact]
    public async Task The_right_most_untrusted_hop_is_the_client_and_what_the_client_prepended_is_ignored()
    {
        var email = LoginProbe.Email();
        // The client wrote "198.51.100.1"; the proxy appended the address it saw.
        await LoginProbe.FailAsync(app, "198.51.100.1, 203.0.113.7", email);
        Assert.Equal("203.0.113.7", await LoginProbe.AuditedIpAsync(app.ConnectionString, email));

        // Trusted hops further in are walked past (10.20.x is configured); an Azure-style ip:port is read as the ip.
        var chained = LoginProbe.Email();
        await LoginProbe.FailAsync(app, "198.51.100.1, 203.0.113.9:51234, 10.20.3.4", chained);
        Assert.Equal("203.0.113.9", await LoginProbe.AuditedIpAsync(app.ConnectionString, chained));
    }

    [Fact]
    public async Task Each_real_client_has_its_own_limit_and_forging_the_left_part_does_not_reset_it()
    {
        await RateWindow.FreshMinuteAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginProbe.FailAsync(app, "203.0.113.20", LoginProbe.Email()));
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginProbe.FailAsync(app, "203.0.113.20", LoginProbe.Email()));
        Assert.Equal(HttpStatusCode.TooManyRequests, await LoginProbe.FailAsync(app, "192.0.2.77, 203.0.113.20", LoginProbe.Email()));
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginProbe.FailAsync(app, "203.0.113.21", LoginProbe.Email()));
    }
}

/// <summary>
/// The Functions worker: the worker's ASP.NET Core integration runs the forwarded-headers middleware with the options
/// from the app's container (ours, via PostConfigure) before a trigger sees the request. Here that same middleware, with
/// those options, runs in front of the login trigger.
/// </summary>
public sealed class ClientIpFunctionsTests(FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>
{
    [Theory]
    // The Functions host proxies from loopback and sets X-Forwarded-For to the client it saw (Azure writes ip:port).
    [InlineData("127.0.0.1", "203.0.113.7:50312", "203.0.113.7")]
    [InlineData("::1", "2001:db8::5", "2001:db8::5")]
    // Whatever else is in the header is left of the host's own entry and never reached.
    [InlineData("127.0.0.1", "198.51.100.66, 203.0.113.8", "203.0.113.8")]
    // A peer that is not the host's proxy is the client; its header is not believed.
    [InlineData("198.51.100.23", "203.0.113.9", "198.51.100.23")]
    // No header: the peer.
    [InlineData("127.0.0.1", null, "127.0.0.1")]
    public async Task The_audited_ip_is_the_one_the_functions_host_vouches_for(string peer, string? forwardedFor, string expected)
    {
        var fn = app.Functions.Services;
        var options = fn.GetRequiredService<IOptions<ForwardedHeadersOptions>>();
        var email = LoginProbe.Email();
        var answer = await DirectCall.InvokeAsync(fn, "POST", "/api/auth/login", async req =>
        {
            Microsoft.AspNetCore.Http.IResult? result = null;
            var middleware = new ForwardedHeadersMiddleware(async ctx => result = await AuthFunctions.Login(ctx.Request),
                fn.GetRequiredService<ILoggerFactory>(), options);
            await middleware.Invoke(req.HttpContext);
            return result!;
        }, json: JsonSerializer.Serialize(new { email, password = "Whatever-123" }), configure: ctx =>
        {
            ctx.Connection.RemoteIpAddress = IPAddress.Parse(peer);
            if (forwardedFor is not null) ctx.Request.Headers["X-Forwarded-For"] = forwardedFor;
        });
        Assert.Equal(401, answer.Status);
        Assert.Equal(expected, await LoginProbe.AuditedIpAsync(app.ConnectionString, email));
    }
}
