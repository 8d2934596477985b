using System.Net;
using System.Net.Http.Json;
using System.Net.Http.Headers;
using System.Text;
using Dapper;
using ElectisSpace.Core.Database;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Tests.Database;

/// <summary>The Standalone host signed in as a login made by `app-login` (a member of electisspace_app), not the owner.</summary>
public sealed class AppRoleApp : TestApp
{
    // Roles are cluster-wide and the test server is shared: a name of this class's own.
    public string Login { get; } = $"app_{Guid.NewGuid():N}"[..20];
    public string AppConnectionString { get; private set; } = "";

    protected override async Task<string> AppConnectionStringAsync(string adminConnectionString)
    {
        await using var admin = NpgsqlDataSource.Create(adminConnectionString);
        await AppLogin.EnsurePasswordLoginAsync(admin, Login, "App-Passw0rd-1");
        AppConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Username = Login, Password = "App-Passw0rd-1" }.ConnectionString;
        return AppConnectionString;
    }
}

/// <summary>
/// On Azure the app signs in with a least-privilege role (migration 0045, AppLogin), not the administrator that owns
/// the schema: it does the app's work (writes in transactions with triggers and sequences, CSV imports through temp
/// tables, lists) and cannot change the schema. docs/adr/0005-connection-budget-and-least-privilege.md.
/// </summary>
public sealed class AppRoleTests(AppRoleApp app) : IClassFixture<AppRoleApp>
{
    [Fact]
    public async Task The_app_signed_in_as_its_own_role_does_its_work()
    {
        await using (var conn = new NpgsqlConnection(app.AppConnectionString))
        {
            var (user, super) = await conn.QuerySingleAsync<(string, bool)>("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user");
            Assert.Equal(app.Login, user);
            Assert.False(super);
        }

        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var created = await HttpAssert.Status(await c.PostAsJsonAsync("/api/spaces", new { externalId = "R-1", labelCode = "0475E4F2B1C3", data = new { roomName = "Room 1" } }), HttpStatusCode.Created);
        var id = created.Id();
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/spaces/{id}", new { data = new { floor = "2" } }), HttpStatusCode.OK);
        var csv = new StringContent("externalId,roomName\nR-2,Room 2\nR-3,Room 3\n", new UTF8Encoding(false));
        csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        var imported = await HttpAssert.Status(await c.PostAsync("/api/spaces/import", csv), HttpStatusCode.OK);
        Assert.Equal(2, imported.GetProperty("created").GetInt32());
        var list = await HttpAssert.Status(await c.GetAsync("/api/spaces?search=Room&sort=externalId"), HttpStatusCode.OK);
        Assert.Equal(3, list.GetProperty("data").GetArrayLength());
        await HttpAssert.Status(await c.DeleteAsync($"/api/spaces/{id}"), HttpStatusCode.NoContent);
        await org.CreateUserAsync("viewer");
    }

    [Theory]
    [InlineData("DROP TABLE spaces")]
    [InlineData("ALTER TABLE spaces ADD COLUMN x int")]
    [InlineData("TRUNCATE audit_logs")]
    [InlineData("CREATE TABLE mine (id int)")]
    [InlineData("CREATE INDEX ON spaces (external_id)")]
    [InlineData("DROP FUNCTION sync_queue_aims_key() CASCADE")]
    [InlineData("CREATE ROLE someone")]
    [InlineData("DELETE FROM schema_migrations")]
    public async Task The_apps_role_cannot_change_the_schema_nor_the_migration_record(string ddl)
    {
        await using var conn = new NpgsqlConnection(app.AppConnectionString);
        await conn.OpenAsync();
        var e = await Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync(ddl));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
    }

    [Fact]
    public async Task App_login_refuses_to_make_the_administrator_the_apps_login_and_is_idempotent()
    {
        await using var admin = NpgsqlDataSource.Create(app.ConnectionString);
        await Assert.ThrowsAsync<InvalidOperationException>(() => AppLogin.EnsurePasswordLoginAsync(admin, "postgres", "whatever-123"));
        // Again, as each deploy runs it: the password is set again, the grants stay.
        await AppLogin.EnsurePasswordLoginAsync(admin, app.Login, "App-Passw0rd-1");
        await using var conn = await admin.OpenConnectionAsync();
        Assert.True(await conn.ExecuteScalarAsync<bool>("SELECT pg_has_role(@login, 'electisspace_app', 'MEMBER')", new { login = app.Login }));
        Assert.False(await conn.ExecuteScalarAsync<bool>("SELECT rolcreaterole OR rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = @login", new { login = app.Login }));
    }

    [Fact]
    public async Task An_existing_login_such_as_the_Entra_principal_joins_the_apps_role()
    {
        await using var admin = NpgsqlDataSource.Create(app.ConnectionString);
        var login = $"entra_{Guid.NewGuid():N}"[..20];
        await Assert.ThrowsAsync<InvalidOperationException>(() => AppLogin.JoinAppRoleAsync(admin, login));
        // Stands in for pgaadauth_create_principal_with_oid (Azure only): a plain login with no privileges.
        await using (var conn = await admin.OpenConnectionAsync())
            await conn.ExecuteAsync($"CREATE ROLE {login} LOGIN PASSWORD 'Entra-Passw0rd-1'");
        await AppLogin.JoinAppRoleAsync(admin, login);
        await using var asLogin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(app.ConnectionString) { Username = login, Password = "Entra-Passw0rd-1" }.ConnectionString);
        Assert.Equal(0, await asLogin.ExecuteScalarAsync<long>("SELECT count(*) FROM spaces WHERE false"));
        var e = await Assert.ThrowsAsync<PostgresException>(() => asLogin.ExecuteAsync("DROP TABLE spaces"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
    }
}
