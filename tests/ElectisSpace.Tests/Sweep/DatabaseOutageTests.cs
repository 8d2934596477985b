using System.Net;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Sweep;

/// <summary>A host whose PostgreSQL is its own, so stopping it leaves every other test class alone.</summary>
public sealed class OutageApp : TestApp
{
    public PostgresServer Server { get; private set; } = null!;

    protected override async Task<PostgresServer> ServerAsync() => Server = await PostgresServer.StartDedicatedAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>PostgreSQL stopped and restarted while requests run: 503 with the envelope and Retry-After, then recovery.</summary>
public sealed class DatabaseOutageTests(OutageApp app) : IClassFixture<OutageApp>
{
    [Fact]
    public async Task Requests_answer_503_while_the_database_is_down_and_the_host_recovers_by_itself()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        await HttpAssert.Status(await c.GetAsync("/api/spaces"), HttpStatusCode.OK);

        // Clients keep calling (reads and writes) while the database goes away and comes back.
        using var stop = new CancellationTokenSource();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<(int Status, string Body)>();
        var load = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            using var client = app.Client(org.AdminToken);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                using var res = n % 2 == 0
                    ? await client.GetAsync("/api/spaces")
                    : await client.PostAsync("/api/spaces", new StringContent($"{{\"externalId\":\"O-{i}-{n}\"}}", System.Text.Encoding.UTF8, "application/json"));
                statuses.Add(((int)res.StatusCode, await res.Content.ReadAsStringAsync()));
                await Task.Delay(20);
            }
        })).ToList();

        await Task.Delay(300);
        await app.Server.StopServerAsync();
        try
        {
            var down = await c.GetAsync("/api/spaces");
            await HttpAssert.Status(down, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
            Assert.True(down.Headers.RetryAfter?.Delta > TimeSpan.Zero, "503 carries Retry-After");
            await HttpAssert.Status(await app.Client().PostAsync("/api/auth/login",
                new StringContent($"{{\"email\":\"{org.AdminEmail}\",\"password\":\"{TestApp.AdminPassword}\"}}", System.Text.Encoding.UTF8, "application/json")),
                HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
            var ready = await app.Client().GetAsync("/api/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            await Task.Delay(300);
        }
        finally
        {
            await app.Server.RestartServerAsync();
        }

        // The host recovers without a restart: the pool drops the dead connections and opens new ones.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode last;
        do
        {
            last = (await c.GetAsync("/api/spaces")).StatusCode;
            if (last == HttpStatusCode.OK) break;
            await Task.Delay(200);
        } while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, last);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().GetAsync("/api/health/ready")).StatusCode);
        await HttpAssert.Status(await c.PostAsync("/api/spaces", new StringContent("{\"externalId\":\"AFTER\"}", System.Text.Encoding.UTF8, "application/json")),
            HttpStatusCode.Created);

        stop.Cancel();
        await Task.WhenAll(load);
        Assert.Contains(statuses, s => s.Status == 503);
        Assert.All(statuses, s => Assert.True(s.Status is 200 or 201 or 503, $"{s.Status} {s.Body}"));
        Assert.All(statuses.Where(s => s.Status == 503), s => Assert.Contains("SERVICE_UNAVAILABLE", s.Body));
    }
}
