using System.Net;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Health;

public sealed class HealthTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Liveness_and_readiness_answer_ok()
    {
        using var c = app.Client();
        var aims = await HttpAssert.Status(await c.GetAsync("/api/health/aims"), HttpStatusCode.OK);
        Assert.Equal("not-configured", aims.GetProperty("status").GetString()); // no Aims:DefaultBaseUrl in this host
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
        var deadPort = FreePorts.Next(); // free a moment ago: nothing answers there
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

    [Fact]
    public async Task Readiness_checks_the_AIMS_host_and_detailed_health_reports_the_last_ping()
    {
        await using var aims = await ElectisSpace.AimsEmulator.AimsEmulatorHost.StartAsync();
        var settings = TestApp.DefaultSettings(app.ConnectionString);
        settings["Aims:DefaultBaseUrl"] = aims.BaseUrl.ToString().TrimEnd('/');
        var (host, address) = await TestApp.StartHostAsync(settings, migrate: false);
        await using var _ = host;
        using var c = new HttpClient { BaseAddress = address };

        var ready = await HttpAssert.Status(await c.GetAsync("/api/health/ready"), HttpStatusCode.OK);
        Assert.Equal("ok", ready.GetProperty("checks").GetProperty("aims").GetProperty("status").GetString());
        Assert.Equal(1, aims.Count("HEAD", "/common/api/v2/token")); // the credential-free alive check

        var alive = await HttpAssert.Status(await c.GetAsync("/api/health/aims"), HttpStatusCode.OK);
        Assert.Equal("ok", alive.GetProperty("status").GetString());
        Assert.Equal(2, aims.Count("HEAD", "/common/api/v2/token"));
        aims.Faults.FailNext("/api/v2/token", 1, 503);
        var aimsDown = await HttpAssert.Status(await c.GetAsync("/api/health/aims"), HttpStatusCode.ServiceUnavailable);
        Assert.Equal("error", aimsDown.GetProperty("status").GetString());
        aims.Faults.FailNext("/api/v2/token", 1, 503);
        var degraded = await HttpAssert.Status(await c.GetAsync("/api/health/ready"), HttpStatusCode.ServiceUnavailable);
        Assert.Equal("degraded", degraded.GetProperty("status").GetString());
        Assert.Equal("error", degraded.GetProperty("checks").GetProperty("aims").GetProperty("status").GetString());

        var org = await app.CreateOrgAsync();
        using var admin = new HttpClient { BaseAddress = address };
        admin.DefaultRequestHeaders.Authorization = org.Admin.DefaultRequestHeaders.Authorization;
        var detailed = await HttpAssert.Status(await admin.GetAsync("/api/health/detailed"), HttpStatusCode.OK);
        Assert.Equal("error", detailed.GetProperty("aims").GetProperty("status").GetString());
        await host.StopAsync();
    }

    [Fact]
    public async Task Readiness_is_degraded_when_nothing_answers_at_the_AIMS_address()
    {
        var deadPort = FreePorts.Next(); // free a moment ago: nothing answers there
        var settings = TestApp.DefaultSettings(app.ConnectionString);
        settings["Aims:DefaultBaseUrl"] = $"http://127.0.0.1:{deadPort}";
        var (host, address) = await TestApp.StartHostAsync(settings, migrate: false);
        await using var _ = host;
        using var c = new HttpClient { BaseAddress = address };
        var body = await HttpAssert.Status(await c.GetAsync("/api/health/ready"), HttpStatusCode.ServiceUnavailable);
        Assert.Equal("error", body.GetProperty("checks").GetProperty("aims").GetProperty("status").GetString());
        Assert.Equal("ok", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        await host.StopAsync();
    }
}
