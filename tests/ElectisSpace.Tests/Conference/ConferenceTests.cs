using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Conference;

public sealed class ConferenceTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Toggle_on_sets_the_meeting_and_page_and_off_clears_everything()
    {
        var org = await app.CreateOrgAsync();
        var c = await org.ClientForRoleAsync("manager");
        var room = await c.CreateRoomAsync("C12", "LBLROOM12");
        Assert.False(room.GetProperty("hasMeeting").GetBoolean());

        var on = await HttpAssert.Status(await c.PostAsJsonAsync($"/api/conference/{room.Id()}/toggle",
            new { meetingName = "Planning", startTime = "09:00", endTime = "10:30", participants = new[] { "Ada", "Grace" } }), HttpStatusCode.OK);
        Assert.True(on.GetProperty("hasMeeting").GetBoolean());
        Assert.Equal("Planning", on.Str("meetingName"));
        Assert.Equal(2, on.GetProperty("participants").GetArrayLength());
        Assert.Equal(2, on.GetProperty("currentPage").GetInt32());

        var off = await HttpAssert.Status(await c.PostAsync($"/api/conference/{room.Id()}/toggle", null), HttpStatusCode.OK);
        Assert.False(off.GetProperty("hasMeeting").GetBoolean());
        Assert.Null(off.Str("meetingName"));
        Assert.Null(off.Str("startTime"));
        Assert.Null(off.Str("endTime"));
        Assert.Equal(0, off.GetProperty("participants").GetArrayLength());
        Assert.Equal(1, off.GetProperty("currentPage").GetInt32());

        var jobs = await app.OutboxAsync(org.OrgId, room.Id());
        Assert.Equal(["upsert_article", "link_label", "upsert_article", "flip_page", "upsert_article", "flip_page"], jobs.Select(j => j.Action));
        Assert.Contains("\"page\": 2", jobs[3].Payload);
        Assert.Contains("\"articleId\": \"CC12\"", jobs[1].Payload); // rooms are "C" + externalId in AIMS
    }

    [Fact]
    public async Task Flip_page_crud_and_errors()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var bare = await c.CreateRoomAsync("C1");
        await HttpAssert.Status(await c.PostAsync($"/api/conference/{bare.Id()}/flip-page", null), (HttpStatusCode)422, "BUSINESS_ERROR");
        var labelled = await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/conference/{bare.Id()}", new { labelCode = "LBLC1" }), HttpStatusCode.OK);
        var flipped = await HttpAssert.Status(await c.PostAsync($"/api/conference/{bare.Id()}/flip-page", null), HttpStatusCode.OK);
        Assert.Equal(2, flipped.GetProperty("currentPage").GetInt32());
        var page5 = await HttpAssert.Status(await c.PostAsJsonAsync($"/api/conference/{bare.Id()}/flip-page", new { page = 5 }), HttpStatusCode.OK);
        Assert.Equal(5, page5.GetProperty("currentPage").GetInt32());
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/conference/{bare.Id()}/flip-page", new { page = 8 }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        await HttpAssert.Status(await c.PostAsJsonAsync("/api/conference", new { externalId = "C2" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/conference", new { externalId = "C1", roomName = "Dup" }), HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/conference/{bare.Id()}/toggle", new { startTime = "25:00" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/conference/{bare.Id()}/toggle", new { startTime = "10:00", endTime = "09:00" }), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PatchAsJsonAsync($"/api/conference/{bare.Id()}", new { roomName = "Late", version = labelled.GetProperty("version").GetInt32() }), HttpStatusCode.Conflict, "CONFLICT");
        await HttpAssert.Status(await c.PostAsync($"/api/conference/{Guid.NewGuid()}/toggle", null), HttpStatusCode.NotFound, "NOT_FOUND");

        var list = await HttpAssert.Status(await c.GetAsync("/api/conference?hasLabel=true"), HttpStatusCode.OK);
        Assert.Single(list.GetProperty("data").EnumerateArray());
        await HttpAssert.Status(await c.DeleteAsync($"/api/conference/{bare.Id()}"), HttpStatusCode.NoContent);
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM label_assignments WHERE org_id = @o", new { o = org.OrgId }));
        // The freed label can go on a space now.
        await c.CreateSpaceAsync("S1", "LBLC1");
        var viewer = await org.ClientForRoleAsync("viewer");
        await HttpAssert.Status(await viewer.GetAsync("/api/conference"), HttpStatusCode.OK);
        await HttpAssert.Status(await viewer.PostAsJsonAsync("/api/conference", new { externalId = "C9", roomName = "V" }), HttpStatusCode.Forbidden, "FORBIDDEN");
        _ = JsonValueKind.Null;
    }
}
