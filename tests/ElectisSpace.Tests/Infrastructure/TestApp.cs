using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Organizations;
using ElectisSpace.Standalone;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Infrastructure;

/// <summary>
/// The real Standalone host on a free loopback port, over its own fresh PostgreSQL database.
/// Tests talk HTTP to it exactly as client apps do. One per test class (xunit class fixture).
/// </summary>
public class TestApp : IAsyncLifetime
{
    public const string AdminPassword = "Admin-Passw0rd";
    private WebApplication? _app;
    private int _orgCounter;

    public string ConnectionString { get; private set; } = "";
    public Uri BaseAddress { get; private set; } = null!;
    public IServiceProvider Services => _app!.Services;
    public Db Db => Services.GetRequiredService<Db>();

    /// <summary>Extra settings (name → value) a test class needs; applied on top of the defaults.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> ExtraSettings => [];

    public static Dictionary<string, string> DefaultSettings(string connectionString) => new()
    {
        ["Database:ConnectionString"] = connectionString,
        ["Jwt:SigningKey"] = "test-signing-key-that-is-at-least-32-bytes-long",
        ["Jwt:Issuer"] = "electisspace-tests",
        ["Jwt:Audience"] = "electisspace-tests",
        // Tests share one client IP; the rate-limit tests set the production defaults back.
        ["RateLimits:LoginPerMinute"] = "100000",
        ["RateLimits:RefreshPerMinute"] = "100000",
        // Sync tests drive the alive ping and the pull themselves; timers firing in between would race them.
        ["Sync:TimersEnabled"] = "false",
        ["Sync:StepRetryMilliseconds"] = "50",
        // No in-process push worker: these tests look at the outbox as written, and the sync tests drive both sides of
        // AIMS themselves. The push engine's tests (Sync/SyncApp) turn it on.
        ["Sync:WorkerEnabled"] = "false",
        ["Security:SettingsEncryptionKey"] = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()),
    };

    /// <summary>The PostgreSQL this app's database lives on: the shared one, unless a test class needs its own.</summary>
    protected virtual Task<PostgresServer> ServerAsync() => PostgresServer.GetAsync();

    /// <summary>
    /// The connection string the host signs in with, given the administrator's (ConnectionString: the migrated database's
    /// owner). The same by default; a test class may have the app sign in as a role of its own (the cloned database is
    /// already migrated, so such a host doesn't migrate).
    /// </summary>
    protected virtual Task<string> AppConnectionStringAsync(string adminConnectionString) => Task.FromResult(adminConnectionString);

    public virtual async Task InitializeAsync()
    {
        var pg = await ServerAsync();
        ConnectionString = await pg.CreateDatabaseAsync();
        _hostConnectionString = await AppConnectionStringAsync(ConnectionString);
        (_app, BaseAddress) = await StartHostAsync(Settings(), migrate: _hostConnectionString == ConnectionString);
    }

    private string? _hostConnectionString;

    /// <summary>The settings this app runs with (a host process over the same database, StandaloneProcess, gets the same).</summary>
    public Dictionary<string, string> Settings()
    {
        var settings = DefaultSettings(_hostConnectionString ?? ConnectionString);
        foreach (var (k, v) in ExtraSettings) settings[k] = v;
        return settings;
    }

    /// <summary>Starts the real Standalone host with these settings on a free loopback port.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartHostAsync(IDictionary<string, string> settings, bool migrate)
    {
        var args = settings.Select(kv => $"--{kv.Key}={kv.Value}").Append("--urls=http://127.0.0.1:0").ToArray();
        var app = StandaloneHost.Build(args);
        if (migrate) await StandaloneHost.MigrateAsync(app.Services);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address));
    }

    public virtual async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }

    public HttpClient Client(string? accessToken = null)
    {
        var c = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = BaseAddress };
        if (accessToken is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return c;
    }

    /// <summary>A new organization with its admin, through the same bootstrap the seed-admin command uses.</summary>
    public async Task<TestOrg> CreateOrgAsync(string? name = null)
    {
        var n = Interlocked.Increment(ref _orgCounter);
        var orgName = name ?? $"Org {n} {Guid.NewGuid():N}"[..20];
        var email = $"admin{n}-{Guid.NewGuid():N}@example.test";
        var created = await OrganizationSetup.CreateAsync(Db, Services.GetRequiredService<Passwords>(), orgName,
            $"ORG{Guid.NewGuid():N}"[..20].ToUpperInvariant(), email, AdminPassword);
        var org = new TestOrg(this, created.OrgId, created.Code, created.AdminUserId, email);
        org.AdminToken = (await org.LoginAsync(email, AdminPassword)).AccessToken;
        return org;
    }
}

public sealed record LoginResult(string AccessToken, string RefreshToken, int ExpiresIn, JsonElement User, HttpResponseMessage Response);

/// <summary>One organization under test, with helpers to make users of each role and clients for them.</summary>
public sealed class TestOrg(TestApp app, Guid orgId, string code, Guid adminId, string adminEmail)
{
    public Guid OrgId { get; } = orgId;
    public string Code { get; } = code;
    public Guid AdminId { get; } = adminId;
    public string AdminEmail { get; } = adminEmail;
    public string AdminToken { get; set; } = "";
    public TestApp App => app;

    public HttpClient Admin => app.Client(AdminToken);

    public async Task<LoginResult> LoginAsync(string email, string password)
    {
        using var c = app.Client();
        var res = await c.PostAsJsonAsync("/api/auth/login", new { email, password, organization = Code });
        if (!res.IsSuccessStatusCode) throw new InvalidOperationException($"login failed: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
        var body = await res.Content.ReadFromJsonAsync<JsonElement>();
        return new LoginResult(body.GetProperty("accessToken").GetString()!, body.GetProperty("refreshToken").GetString()!,
            body.GetProperty("expiresIn").GetInt32(), body.GetProperty("user"), res);
    }

    /// <summary>Creates a user with the role through the API and returns (id, email, access token).</summary>
    public async Task<(Guid Id, string Email, string Token)> CreateUserAsync(string role, string password = "User-Passw0rd")
    {
        var email = $"{role}-{Guid.NewGuid():N}@example.test";
        var res = await Admin.PostAsJsonAsync("/api/users", new { email, password, role, firstName = "Test", lastName = role });
        res.EnsureSuccessStatusCode();
        var body = await res.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("user").GetProperty("id").GetGuid();
        return (id, email, (await LoginAsync(email, password)).AccessToken);
    }

    public async Task<HttpClient> ClientForRoleAsync(string role) =>
        role == "admin" ? Admin : app.Client((await CreateUserAsync(role)).Token);
}
