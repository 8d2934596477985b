using System.Net;
using System.Net.Http.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Settings;

public sealed class SettingsTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Admin_sets_the_aims_connection_the_password_is_encrypted_and_never_returned()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var initial = await HttpAssert.Status(await c.GetAsync("/api/settings"), HttpStatusCode.OK);
        Assert.False(initial.GetProperty("aims").GetProperty("passwordSet").GetBoolean());
        Assert.Equal("newest-wins", initial.Str("conflictStrategy"));

        var updated = await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new
        {
            aims = new { baseUrl = "https://eu.common.solumesl.com", cluster = "c1", company = "ACME", store = "001", username = "ops@acme.test", password = "S3cret-AIMS" },
            fieldMappings = new { person = new { name = "ITEM_NAME" } },
            csv = new { people = new { keyColumn = "Employee", columns = new { Employee = "externalId", Dept = "data.department" } } },
            pullIntervalMinutes = 10,
        }), HttpStatusCode.OK);
        Assert.True(updated.GetProperty("aims").GetProperty("passwordSet").GetBoolean());
        Assert.Equal("c1", updated.GetProperty("aims").Str("cluster"));
        Assert.DoesNotContain("S3cret", updated.GetRawText());
        Assert.DoesNotContain("passwordCipher", updated.GetRawText());

        // At rest: ciphertext only, and not in the audit log either.
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM organizations WHERE settings::text LIKE '%S3cret%'"));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM organizations WHERE id = @o AND settings->'aims'->>'passwordCipher' LIKE 'v1:%'", new { o = org.OrgId }));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE new_data::text LIKE '%S3cret%' OR new_data::text LIKE '%v1:%'"));

        // Merge semantics: one section changes, the rest stays; null removes a mapping.
        var merged = await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { aims = new { store = "002" }, fieldMappings = new { person = new { name = (string?)null } } }), HttpStatusCode.OK);
        Assert.Equal("002", merged.GetProperty("aims").Str("store"));
        Assert.Equal("ACME", merged.GetProperty("aims").Str("company"));
        Assert.True(merged.GetProperty("aims").GetProperty("passwordSet").GetBoolean());
        Assert.False(merged.GetProperty("fieldMappings").GetProperty("person").TryGetProperty("name", out _));

        var cleared = await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { aims = new { password = "" } }), HttpStatusCode.OK);
        Assert.False(cleared.GetProperty("aims").GetProperty("passwordSet").GetBoolean());
    }

    [Fact]
    public async Task Manager_reads_viewer_cannot_bad_values_are_400_and_stale_version_409()
    {
        var org = await app.CreateOrgAsync();
        var manager = await org.ClientForRoleAsync("manager");
        var viewer = await org.ClientForRoleAsync("viewer");
        await HttpAssert.Status(await manager.GetAsync("/api/settings"), HttpStatusCode.OK);
        await HttpAssert.Status(await manager.PatchAsJsonAsync("/api/settings", new { pullIntervalMinutes = 3 }), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HttpAssert.Status(await viewer.GetAsync("/api/settings"), HttpStatusCode.Forbidden, "FORBIDDEN");

        var c = org.Admin;
        await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { aims = new { baseUrl = "not a url" } }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { aims = new { cluster = "c7" } }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { conflictStrategy = "coin-flip" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { pullIntervalMinutes = 0 }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { favouriteColour = "blue" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { csv = new { spaces = new { columns = new { Desk = "password" } } } }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { fieldMappings = new { printer = new { a = "B" } } }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        var current = await HttpAssert.Status(await c.GetAsync("/api/settings"), HttpStatusCode.OK);
        var v = current.GetProperty("version").GetInt32();
        await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { pullIntervalMinutes = 7, version = v }), HttpStatusCode.OK);
        await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings", new { pullIntervalMinutes = 8, version = v }), HttpStatusCode.Conflict, "CONFLICT");
        var after = await HttpAssert.Status(await c.GetAsync("/api/settings"), HttpStatusCode.OK);
        Assert.Equal(7, after.GetProperty("pullIntervalMinutes").GetInt32());
    }
}
