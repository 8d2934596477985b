using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Organizations;
using ElectisSpace.Standalone;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// The real Standalone host over a throwaway PostgreSQL of its own with the durable defaults (fsync, synchronous_commit,
/// full_page_writes on: what users run, issue 37), measured end to end over HTTP like a client.
/// </summary>
public sealed class BenchmarkServer : IAsyncDisposable
{
    private const string Password = "Bench-Passw0rd";
    private WebApplication _app = null!;
    private PostgresServer _pg = null!;
    public Uri Address { get; private set; } = null!;
    public IServiceProvider Services => _app.Services;

    public static async Task<BenchmarkServer> StartAsync()
    {
        var pg = await PostgresServer.StartDurableAsync();
        var conn = await pg.CreateDatabaseAsync();
        var args = new Dictionary<string, string>
        {
            ["Database:ConnectionString"] = conn,
            ["Jwt:SigningKey"] = "benchmark-signing-key-that-is-at-least-32-bytes",
            ["Security:SettingsEncryptionKey"] = Convert.ToBase64String(new byte[32]),
            ["RateLimits:LoginPerMinute"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Sync:TimersEnabled"] = "false",
        }.Select(kv => $"--{kv.Key}={kv.Value}").Append("--urls=http://127.0.0.1:0").ToArray();
        var server = new BenchmarkServer { _app = StandaloneHost.Build(args), _pg = pg };
        await StandaloneHost.MigrateAsync(server._app.Services);
        await server._app.StartAsync();
        server.Address = new Uri(server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    /// <summary>A fresh organization and a client signed in as its admin.</summary>
    public async Task<HttpClient> NewOrganizationClientAsync() => (await NewOrganizationAsync()).Client;

    public async Task<(HttpClient Client, Guid OrgId)> NewOrganizationAsync()
    {
        var code = ("B" + Guid.NewGuid().ToString("N"))[..12].ToUpperInvariant();
        var email = $"admin-{code}@bench.test";
        var org = await OrganizationSetup.CreateAsync(_app.Services.GetRequiredService<Db>(), _app.Services.GetRequiredService<Passwords>(),
            "Bench " + code, code, email, Password);
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        var login = await client.PostAsJsonAsync("/api/auth/login", new { email, password = Password, organization = code });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (client, org.OrgId);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(); // the push listener and timers stop before the services they use are disposed
        await _app.DisposeAsync();
        await _pg.DisposeAsync();
    }
}
