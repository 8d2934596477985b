using System.Net;
using System.Net.Http.Json;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Aims;
using ElectisSpace.Standalone;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Aims;

/// <summary>An organization's AIMS settings become a working client connection: the emulator by default, a real AIMS one setting away.</summary>
public sealed class AimsConnectionTests(TestApp app) : IClassFixture<TestApp>, IAsyncLifetime
{
    private AimsEmulatorHost _aims = null!;
    public async Task InitializeAsync() => _aims = await AimsEmulatorHost.StartAsync();
    public async Task DisposeAsync() => await _aims.DisposeAsync();

    [Fact]
    public async Task Settings_saved_through_the_API_drive_the_client()
    {
        var org = await app.CreateOrgAsync();
        var connections = app.Services.GetRequiredService<AimsConnections>();
        Assert.Null(await connections.ForOrganizationAsync(org.OrgId)); // nothing configured yet

        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync("/api/settings", new
        {
            aims = new { baseUrl = _aims.BaseUrl + "common", cluster = "common", company = EmulatorSeed.DefaultCompany, store = EmulatorSeed.DefaultStore,
                         username = EmulatorSeed.DefaultUsername, password = EmulatorSeed.DefaultPassword },
        }), HttpStatusCode.OK);
        var conn = await connections.ForOrganizationAsync(org.OrgId);
        Assert.NotNull(conn);
        Assert.Equal(EmulatorSeed.DefaultPassword, conn.Password); // decrypted for the call, never returned by the API

        var stores = await app.Services.GetRequiredService<AimsClient>().ListStoresAsync(conn);
        Assert.Equal(EmulatorSeed.DefaultStore, Assert.Single(stores).Code);
    }

    [Fact]
    public async Task The_set_aims_command_configures_an_organization_and_is_audited()
    {
        var org = await app.CreateOrgAsync();
        var settings = TestApp.DefaultSettings(app.ConnectionString).Select(kv => $"--{kv.Key}={kv.Value}");
        var exit = await Commands.SetAimsAsync([.. settings, "--org", org.Code, "--company", EmulatorSeed.DefaultCompany, "--store", EmulatorSeed.DefaultStore,
            "--username", EmulatorSeed.DefaultUsername, "--password", EmulatorSeed.DefaultPassword, "--base-url", _aims.BaseUrl.ToString(), "--cluster", "c1"]);
        Assert.Equal(0, exit);

        var conn = await app.Services.GetRequiredService<AimsConnections>().ForOrganizationAsync(org.OrgId);
        Assert.Equal(_aims.BaseUrl.ToString().TrimEnd('/') + "/c1", conn!.Root);
        Assert.Single(await app.Services.GetRequiredService<AimsClient>().ListStoresAsync(conn));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @OrgId AND entity_type = 'settings'", new { org.OrgId }));

        Assert.Equal(1, await Commands.SetAimsAsync([.. settings, "--org", "NO-SUCH-ORG", "--company", "C", "--store", "S", "--username", "u", "--password", "p"]));
        Assert.Equal(64, await Commands.SetAimsAsync([.. settings, "--org", org.Code]));
    }
}
