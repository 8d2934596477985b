using System.Net;
using System.Net.Http.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Spaces;

public sealed class SpacesTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Create_get_list_update_delete_with_audit_and_outbox()
    {
        var org = await app.CreateOrgAsync();
        var manager = await org.ClientForRoleAsync("manager");
        var created = await manager.CreateSpaceAsync("D-101", "0475E4F2B1C3", new { roomName = "Desk 101", floor = 1, quiet = true });
        var id = created.Id();
        Assert.Equal("pending", created.Str("syncStatus"));
        Assert.Equal("1", created.GetProperty("data").GetProperty("floor").GetString()); // numbers are kept as text, like AIMS
        Assert.Equal(1, created.GetProperty("version").GetInt32());

        var got = await HttpAssert.Status(await manager.GetAsync($"/api/spaces/{id}"), HttpStatusCode.OK);
        Assert.Equal("D-101", got.Str("externalId"));
        var list = await HttpAssert.Status(await manager.GetAsync("/api/spaces?search=Desk%20101&hasLabel=true"), HttpStatusCode.OK);
        Assert.Equal(id, Assert.Single(list.GetProperty("data").EnumerateArray()).Id());

        var patched = await HttpAssert.Status(await manager.PatchAsJsonAsync($"/api/spaces/{id}", new { data = new { floor = "2", quiet = (string?)null } }), HttpStatusCode.OK);
        Assert.Equal("2", patched.GetProperty("data").GetProperty("floor").GetString());
        Assert.False(patched.GetProperty("data").TryGetProperty("quiet", out _));
        Assert.Equal("Desk 101", patched.GetProperty("data").GetProperty("roomName").GetString());
        Assert.Equal("0475E4F2B1C3", patched.Str("labelCode")); // absent key keeps the label
        Assert.Equal(2, patched.GetProperty("version").GetInt32());

        await HttpAssert.Status(await manager.DeleteAsync($"/api/spaces/{id}"), HttpStatusCode.NoContent);
        await HttpAssert.Status(await manager.GetAsync($"/api/spaces/{id}"), HttpStatusCode.NotFound, "NOT_FOUND");

        var outbox = await app.OutboxAsync(org.OrgId, id);
        Assert.Equal(["upsert_article", "link_label", "upsert_article", "unlink_label", "delete_article"], outbox.Select(o => o.Action));
        Assert.Contains("\"articleId\": \"D-101\"", outbox[^1].Payload);
        Assert.Equal(3, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND entity_type = 'space' AND entity_id = @id",
            new { o = org.OrgId, id = id.ToString() }));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM label_assignments WHERE org_id = @o", new { o = org.OrgId }));
    }

    [Fact]
    public async Task Bad_input_is_400_duplicates_are_409_and_unknown_ids_404()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/spaces", new { labelCode = "ABC123" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/spaces", new { externalId = "has space" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/spaces", new { externalId = new string('x', 65) }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/spaces", new { externalId = "A1", data = new { nested = new { x = 1 } } }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/spaces", new { externalId = "A1", labelCode = "no spaces!" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.GetAsync("/api/spaces?syncStatus=lost"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.GetAsync("/api/spaces?sort=password"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await c.CreateSpaceAsync("A1");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/spaces", new { externalId = "A1" }), HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await c.GetAsync($"/api/spaces/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/spaces/{Guid.NewGuid()}", new { templateName = "t" }), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await c.DeleteAsync($"/api/spaces/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/spaces/{Guid.NewGuid()}/assign-label", new { labelCode = "ABC123" }), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o", new { o = org.OrgId }));
    }

    [Fact]
    public async Task A_label_is_on_one_space_or_room_only()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var a = await c.CreateSpaceAsync("S1", "LBL0001");
        var b = await c.CreateSpaceAsync("S2");
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/spaces/{b.Id()}/assign-label", new { labelCode = "LBL0001" }), HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/conference", new { externalId = "C1", roomName = "Blue", labelCode = "LBL0001" }), HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/spaces", new { externalId = "S3", labelCode = "LBL0001" }), HttpStatusCode.Conflict, "CONFLICT");

        // Moving the label off S1 frees it for S2.
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/spaces/{a.Id()}", new { labelCode = (string?)null }), HttpStatusCode.OK);
        var moved = await HttpAssert.Status(await c.PostAsJsonAsync($"/api/spaces/{b.Id()}/assign-label", new { labelCode = "LBL0001" }), HttpStatusCode.OK);
        Assert.Equal("LBL0001", moved.Str("labelCode"));

        // The same code in another organization is another label.
        var other = await app.CreateOrgAsync();
        await other.Admin.CreateSpaceAsync("S1", "LBL0001");
    }

    [Fact]
    public async Task Stale_version_is_409_and_concurrent_patches_with_one_version_let_exactly_one_win()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var id = (await c.CreateSpaceAsync("V1")).Id();
        var get = await c.GetAsync($"/api/spaces/{id}");
        Assert.Equal("\"1\"", get.Headers.ETag?.Tag);

        var tasks = Enumerable.Range(0, 4).Select(i =>
        {
            var req = new HttpRequestMessage(HttpMethod.Patch, $"/api/spaces/{id}") { Content = JsonContent.Create(new { data = new { editor = $"m{i}" } }) };
            req.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
            return c.SendAsync(req);
        }).ToList();
        var results = await Task.WhenAll(tasks);
        Assert.Equal(1, results.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(3, results.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        foreach (var r in results.Where(r => r.StatusCode == HttpStatusCode.Conflict)) await HttpAssert.Status(r, HttpStatusCode.Conflict, "CONFLICT");

        // version in the body works the same way
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/spaces/{id}", new { templateName = "T", version = 1 }), HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/spaces/{id}", new { templateName = "T", version = 2 }), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Deleting_an_occupied_space_gives_the_person_a_pool_id_back()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var space = await c.CreateSpaceAsync("D-1");
        var person = await c.CreatePersonAsync("Ada");
        await c.AssignAsync(person.Id(), space.Id());
        var seated = await HttpAssert.Status(await c.GetAsync($"/api/spaces/{space.Id()}"), HttpStatusCode.OK);
        Assert.Equal(person.Id(), seated.GetProperty("assignedPerson").Id());

        await HttpAssert.Status(await c.DeleteAsync($"/api/spaces/{space.Id()}"), HttpStatusCode.NoContent);
        var after = await HttpAssert.Status(await c.GetAsync($"/api/people/{person.Id()}"), HttpStatusCode.OK);
        Assert.Null(after.Str("assignedSpaceId"));
        Assert.StartsWith("POOL-", after.Str("virtualSpaceId"));
    }
}
