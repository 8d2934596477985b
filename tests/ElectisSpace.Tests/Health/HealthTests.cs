using System.Net;
using System.Net.Sockets;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Health;

public sealed class HealthTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Liveness_and_readiness_answer_ok()
    {
        using var c = app.Client();
        var live = await HttpAssert.Status(await c.GetAsync("/api/health"), HttpStatusCode.OK);
        Assert.Equal("ok", live.GetProperty("status").GetString());
        var ready = await HttpAssert.Status(await c.GetAsync("/api/health/ready"), HttpStatusCode.OK);
        Assert.Equal("ok", ready.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Detailed_health_is_admin_only_and_reports_the_database()
    {
        var org = await app.CreateOrgAsync();
        var body = await HttpAssert.Status(await org.Admin.GetAsync("/api/health/detailed"), HttpStatusCode.OK);
        Assert.Equal("ok", body.GetProperty("database").GetProperty("status").GetString());
        Assert.True(body.GetProperty("uptimeSeconds").GetInt64() >= 0);
        Assert.True(body.GetProperty("database").GetProperty("connections").GetProperty("total").GetInt64() >= 1);
        await HttpAssert.Status(await (await org.ClientForRoleAsync("manager")).GetAsync("/api/health/detailed"), HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task Readiness_is_503_degraded_when_the_database_is_unreachable()
    {
        // A host pointed at a port nobody listens on.
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var deadPort = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var settings = TestApp.DefaultSettings($"Host=127.0.0.1;Port={deadPort};Username=postgres;Database=none;Timeout=2");
        var (host, address) = await TestApp.StartHostAsync(settings, migrate: false);
        await using var _ = host;
        using var c = new HttpClient { BaseAddress = address };
        var body = await HttpAssert.Status(await c.GetAsync("/api/health/ready"), HttpStatusCode.ServiceUnavailable);
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        Assert.Equal("error", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        await HttpAssert.Status(await c.GetAsync("/api/health"), HttpStatusCode.OK);
        await host.StopAsync();
    }
}
