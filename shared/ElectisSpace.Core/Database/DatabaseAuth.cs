using Azure.Core;
using Azure.Identity;

namespace ElectisSpace.Core.Database;

public enum DatabaseAuthMode { Password, Entra }

/// <summary>
/// How the data source signs in. Password: the connection string's (local runs, tests, Azure's password login). Entra
/// (Database:AuthMode=Entra): the password of each new physical connection is a Microsoft Entra access token of the
/// app's identity (managed identity on Azure; DefaultAzureCredential), fetched by Npgsql's periodic password provider so
/// opening a connection never waits for Entra. The role is the identity's PostgreSQL principal (pgaadauth), a member of
/// electisspace_app. docs/adr/0005-connection-budget-and-least-privilege.md.
/// </summary>
public static class DatabaseAuth
{
    /// <summary>The token audience of Azure Database for PostgreSQL (Entra authentication).</summary>
    public const string EntraScope = "https://ossrdbms-aad.database.windows.net/.default";

    // Entra tokens live an hour or more; a new one every half hour keeps new connections valid (open ones are not affected).
    private static readonly TimeSpan Refresh = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(10);

    /// <param name="credential">The identity to sign in as (tests pass their own); null: DefaultAzureCredential.</param>
    public static void Configure(NpgsqlDataSourceBuilder builder, DatabaseAuthMode mode, TokenCredential? credential = null)
    {
        if (mode != DatabaseAuthMode.Entra) return;
        credential ??= new DefaultAzureCredential();
        var request = new TokenRequestContext([EntraScope]);
        builder.UsePeriodicPasswordProvider(
            async (_, ct) => (await credential.GetTokenAsync(request, ct)).Token, Refresh, RetryAfterFailure);
    }
}
