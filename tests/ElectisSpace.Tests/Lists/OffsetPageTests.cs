using System.Net;
using System.Text.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Lists;

/// <summary>
/// An offset page (page=) is read with the row just before it, which is kept under the organization's change counter:
/// the same page asked for again, while nothing changed, is the range after that row (KeysetList.PageAsync). Whichever
/// way it is read, it is the page the order gives.
/// </summary>
public sealed class OffsetPageTests(TestApp app) : IClassFixture<TestApp>
{
    private static List<Guid> Ids(JsonElement page) => [.. page.GetProperty("data").EnumerateArray().Select(p => p.Id())];

    private static async Task<List<Guid>> AllAsync(HttpClient c, string sort) =>
        Ids(await HttpAssert.Status(await c.GetAsync($"/api/people?limit=100&sort={sort}"), HttpStatusCode.OK));

    [Fact]
    public async Task An_offset_page_asked_again_is_read_as_the_range_after_its_row_before_and_is_the_same_page()
    {
        var org = await app.CreateOrgAsync();
        using var c = org.Admin;
        // Equal names, so the id decides between them; more than three pages of three.
        foreach (var name in new[] { "Kim", "Ada", "Kim", "Lee", "Ada", "Bo", "Kim", "Zed", "Bo", "Cy", "Ada", "Lee" })
            await c.CreatePersonAsync(name);

        var ask = 0;
        foreach (var sort in new[] { "createdAt", "name", "-name", "-createdAt" })
        {
            var expected = (await AllAsync(c, sort)).Skip(6).Take(3).ToList(); // page 3 of 3
            // Each URL is new (x=…), so the list cache never answers: the page is built every time.
            var (first, firstSent) = await NpgsqlTrace.GetAsync(c, $"/api/people?limit=3&page=3&sort={sort}&x={++ask}");
            Assert.Equal(expected, Ids(await HttpAssert.Status(first, HttpStatusCode.OK)));
            Assert.Contains(firstSent, s => s.Contains("OFFSET @Offset"));

            var (again, againSent) = await NpgsqlTrace.GetAsync(c, $"/api/people?limit=3&page=3&sort={sort}&x={++ask}");
            var page = await HttpAssert.Status(again, HttpStatusCode.OK);
            Assert.Equal(expected, Ids(page));
            Assert.DoesNotContain(againSent, s => s.Contains("OFFSET @Offset")); // the range after the kept row
            Assert.Contains("refresh_tokens", Assert.Single(againSent));           // in the batch of the sign-in check
            Assert.Equal(3, page.GetProperty("pagination").GetProperty("page").GetInt32());
            Assert.Equal(12, page.GetProperty("pagination").GetProperty("total").GetInt32());
        }

        // A change moves rows across the page: the kept row no longer counts, and the next read is the new order's page.
        var all = await AllAsync(c, "name");
        await app.ExecAsync("""UPDATE people SET data = '{"name": "Aaron"}' WHERE id = @id""", new { id = all[^1] });
        var (changed, changedSent) = await NpgsqlTrace.GetAsync(c, $"/api/people?limit=3&page=3&sort=name&x={++ask}");
        Assert.Equal((await AllAsync(c, "name")).Skip(6).Take(3).ToList(), Ids(await HttpAssert.Status(changed, HttpStatusCode.OK)));
        Assert.Contains(changedSent, s => s.Contains("OFFSET @Offset"));

        // Past the end: empty, and nothing kept to misuse.
        for (var i = 0; i < 2; i++)
            Assert.Empty(Ids(await HttpAssert.Status(await c.GetAsync($"/api/people?limit=3&page=9&x={++ask}"), HttpStatusCode.OK)));

        // Another organization's same page is its own.
        var other = await app.CreateOrgAsync();
        using var oc = other.Admin;
        Assert.Empty(Ids(await HttpAssert.Status(await oc.GetAsync("/api/people?limit=3&page=3&sort=name"), HttpStatusCode.OK)));
    }
}
