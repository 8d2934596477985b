using System.Net;
using System.Net.Http.Json;
using Dapper;
using ElectisSpace.Tests.Infrastructure;
using Npgsql;

namespace ElectisSpace.Tests.Audit;

public sealed class AuditTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Mutations_are_audited_with_old_and_new_data_and_can_be_filtered_and_exported()
    {
        var org = await app.CreateOrgAsync();
        var (id, email, _) = await org.CreateUserAsync("viewer");
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/users/{id}", new { firstName = "Renamed" }), HttpStatusCode.OK);

        var updates = await HttpAssert.Status(await org.Admin.GetAsync($"/api/audit?action=update&entityType=user&entityId={id}"), HttpStatusCode.OK);
        var row = Assert.Single(updates.GetProperty("data").EnumerateArray());
        Assert.Equal("Test", row.GetProperty("oldData").GetProperty("firstName").GetString());
        Assert.Equal("Renamed", row.GetProperty("newData").GetProperty("firstName").GetString());
        Assert.Equal(org.AdminId.ToString(), row.GetProperty("userId").GetString());
        Assert.False(string.IsNullOrEmpty(row.GetProperty("ipAddress").GetString()));

        var byUser = await HttpAssert.Status(await org.Admin.GetAsync($"/api/audit?userId={id}&action=login"), HttpStatusCode.OK);
        Assert.Equal(1, byUser.GetProperty("pagination").GetProperty("total").GetInt32());
        var future = await HttpAssert.Status(await org.Admin.GetAsync($"/api/audit?from={DateTime.UtcNow.AddDays(1):O}"), HttpStatusCode.OK);
        Assert.Equal(0, future.GetProperty("pagination").GetProperty("total").GetInt32());
        await HttpAssert.Status(await org.Admin.GetAsync("/api/audit?from=yesterday"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        var csv = await org.Admin.GetAsync($"/api/audit/export?entityId={id}");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = await csv.Content.ReadAsStringAsync();
        Assert.StartsWith("createdAt,userId,userEmail,action", text);
        Assert.Contains("Renamed", text);
        Assert.Contains(email, text);
    }

    [Fact]
    public async Task Audit_is_admin_only_and_scoped_to_the_organization()
    {
        var a = await app.CreateOrgAsync();
        var b = await app.CreateOrgAsync();
        var manager = await a.ClientForRoleAsync("manager");
        await HttpAssert.Status(await manager.GetAsync("/api/audit"), HttpStatusCode.Forbidden, "FORBIDDEN");
        var list = await HttpAssert.Status(await b.Admin.GetAsync($"/api/audit?userId={a.AdminId}"), HttpStatusCode.OK);
        Assert.Equal(0, list.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_failed_transaction_writes_no_audit_row_and_no_change()
    {
        var org = await app.CreateOrgAsync();
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        // Make the audit insert fail for this organization only: the user insert before it must roll back too.
        await conn.ExecuteAsync($"""
            CREATE OR REPLACE FUNCTION fail_audit_{org.OrgId:N}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER fail_audit_{org.OrgId:N} BEFORE INSERT ON audit_logs FOR EACH ROW
              WHEN (NEW.org_id = '{org.OrgId}' AND NEW.action = 'create') EXECUTE FUNCTION fail_audit_{org.OrgId:N}();
            """);
        var email = $"never-{Guid.NewGuid():N}@example.test";
        var body = await HttpAssert.Status(await org.Admin.PostAsJsonAsync("/api/users", new { email, password = "Some-Passw0rd" }),
            HttpStatusCode.InternalServerError, "INTERNAL_ERROR");
        Assert.DoesNotContain("audit down", body.ToString());
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM users WHERE email = @email", new { email }));
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND action = 'create' AND entity_type = 'user' AND new_data->>'email' = @email",
            new { org.OrgId, email }));
        await conn.ExecuteAsync($"DROP TRIGGER fail_audit_{org.OrgId:N} ON audit_logs");
    }
}
