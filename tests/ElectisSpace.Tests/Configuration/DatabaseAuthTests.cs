using Azure.Core;
using Dapper;
using ElectisSpace.Core;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Database;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ElectisSpace.Tests.Configuration;

/// <summary>
/// Database:AuthMode=Entra makes the app's data source (the composition root, AddElectisSpace) take each new connection's
/// password from a Microsoft Entra token of its identity, for Azure Database for PostgreSQL's audience; the default
/// (Password) never asks for one. Azure itself can't be reached here: the identity is a stand-in that records what it
/// was asked, and the test server trusts local connections, so what is proven is where the password comes from.
/// </summary>
public sealed class DatabaseAuthTests
{
    private sealed class RecordingCredential : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext request, CancellationToken ct)
        {
            lock (Scopes) Scopes.AddRange(request.Scopes);
            return new AccessToken("entra-access-token", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext request, CancellationToken ct) => new(GetToken(request, ct));
    }

    private static async Task<(List<string> Scopes, int Answer)> ConnectAsync(string? authMode)
    {
        var pg = await PostgresServer.GetAsync();
        var settings = TestApp.DefaultSettings(pg.ConnectionString("postgres"));
        if (authMode is not null) settings[SettingNames.DatabaseAuthMode] = authMode;
        var credential = new RecordingCredential();
        var services = new ServiceCollection().AddSingleton<TokenCredential>(credential);
        services.AddElectisSpace(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value))).Build());
        await using var provider = services.BuildServiceProvider();
        await using var conn = await provider.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        return (credential.Scopes, await conn.ExecuteScalarAsync<int>("SELECT 42"));
    }

    [Fact]
    public async Task Entra_mode_signs_in_with_a_token_of_the_apps_identity_for_Azure_PostgreSQL()
    {
        var (scopes, answer) = await ConnectAsync("Entra");
        Assert.Equal(42, answer);
        Assert.NotEmpty(scopes);
        Assert.All(scopes, s => Assert.Equal("https://ossrdbms-aad.database.windows.net/.default", s));
    }

    [Fact]
    public async Task Password_mode_the_default_never_asks_for_a_token()
    {
        Assert.Empty((await ConnectAsync(null)).Scopes);
        Assert.Empty((await ConnectAsync("Password")).Scopes);
    }

    [Theory]
    [InlineData("Entra", "Host=x;Username=func-app;Password=secret", "must not carry a Password")]
    [InlineData("Token", "Host=x;Username=func-app", "must be Password or Entra")]
    public void A_mode_that_cannot_work_stops_start_up_naming_the_setting(string mode, string connectionString, string message)
    {
        var settings = TestApp.DefaultSettings(connectionString);
        settings[SettingNames.DatabaseAuthMode] = mode;
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value))).Build();
        var e = Assert.Throws<InvalidOperationException>(() => ServerSettings.Load(config));
        Assert.Contains(message, e.Message);
    }
}
