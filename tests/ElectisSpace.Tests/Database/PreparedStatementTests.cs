using System.Net;
using Dapper;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Tests.Database;

/// <summary>
/// The host prepares the statements it repeats (ServerSettings.PooledConnectionString). A migration that changes the
/// shape of a prepared statement's result while instances run (as an Azure deploy does) must not turn into errors:
/// the stale statement is dropped and the request still answers.
/// </summary>
public sealed class PreparedStatementTests : IAsyncLifetime
{
    private readonly TestApp _app = new();
    public Task InitializeAsync() => _app.InitializeAsync();
    public Task DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task A_list_and_the_sign_in_check_still_answer_after_a_migration_changes_their_result_types()
    {
        var org = await _app.CreateOrgAsync();
        using var admin = org.Admin;
        // One request at a time, so they reuse pooled connections whose statements are prepared after a few uses.
        for (var i = 0; i < 12; i++)
        {
            await HttpAssert.Status(await admin.GetAsync("/api/users/me"), HttpStatusCode.OK);
            await HttpAssert.Status(await admin.GetAsync("/api/users?limit=10"), HttpStatusCode.OK);
        }

        // text -> varchar changes the type of a column both statements return.
        await using (var c = new NpgsqlConnection(_app.ConnectionString))
            await c.ExecuteAsync("ALTER TABLE users ALTER COLUMN role TYPE varchar(20)");

        for (var i = 0; i < 3; i++)
        {
            var me = await HttpAssert.Status(await admin.GetAsync("/api/users/me"), HttpStatusCode.OK);
            Assert.Equal(org.AdminEmail, me.GetProperty("email").GetString());
            var list = await HttpAssert.Status(await admin.GetAsync("/api/users?limit=10"), HttpStatusCode.OK);
            Assert.Equal(1, list.GetProperty("pagination").GetProperty("total").GetInt32());
        }
    }
}
