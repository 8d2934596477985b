using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Imports;

public sealed class CsvImportTests(TestApp app) : IClassFixture<TestApp>
{
    private static StringContent Csv(string text, bool bom = false)
    {
        var content = new StringContent((bom ? "\uFEFF" : "") + text, new UTF8Encoding(false));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        return content;
    }

    private static async Task<List<JsonElement>> AllAsync(HttpClient c, string path)
    {
        var body = await HttpAssert.Status(await c.GetAsync(path + (path.Contains('?') ? "&" : "?") + "limit=100"), HttpStatusCode.OK);
        return body.GetProperty("data").EnumerateArray().ToList();
    }

    [Fact]
    public async Task Spaces_with_bom_semicolons_quoted_separators_quotes_and_newlines()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var csv = "externalId;labelCode;roomName;notes\r\n" +
                  "D-1;LBL0001;\"Desk; by the window\";\"He said \"\"hi\"\"\"\r\n" +
                  "D-2;;Desk 2;\"line one\nline two\"\r\n";
        var result = await HttpAssert.Status(await c.PostAsync("/api/spaces/import", Csv(csv, bom: true)), HttpStatusCode.OK);
        Assert.Equal(2, result.GetProperty("created").GetInt32());
        Assert.Equal(0, result.GetProperty("failed").GetInt32());

        var spaces = await AllAsync(c, "/api/spaces?sort=externalId");
        Assert.Equal(["D-1", "D-2"], spaces.Select(s => s.Str("externalId")));
        Assert.Equal("Desk; by the window", spaces[0].GetProperty("data").GetProperty("roomName").GetString());
        Assert.Equal("He said \"hi\"", spaces[0].GetProperty("data").GetProperty("notes").GetString());
        Assert.Equal("line one\nline two", spaces[1].GetProperty("data").GetProperty("notes").GetString());
        Assert.Equal("LBL0001", spaces[0].Str("labelCode"));
        Assert.False(spaces[0].GetProperty("data").TryGetProperty("\uFEFFexternalId", out _));

        // Re-import upserts by externalId (comma this time) and keeps the label when the file has no label column.
        var again = await HttpAssert.Status(await c.PostAsync("/api/spaces/import", Csv("externalId,roomName\nD-1,Renamed\nD-3,New\n")), HttpStatusCode.OK);
        Assert.Equal(1, again.GetProperty("created").GetInt32());
        Assert.Equal(1, again.GetProperty("updated").GetInt32());
        var d1 = (await AllAsync(c, "/api/spaces?search=D-1")).Single(s => s.Str("externalId") == "D-1");
        Assert.Equal("Renamed", d1.GetProperty("data").GetProperty("roomName").GetString());
        Assert.Equal("LBL0001", d1.Str("labelCode"));
        Assert.Equal(2, d1.GetProperty("version").GetInt32());

        // Every imported space has its AIMS work queued, and the import is audited once.
        Assert.Equal(4, await app.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @o AND action = 'upsert_article'", new { o = org.OrgId }));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM sync_queue WHERE org_id = @o AND action = 'link_label'", new { o = org.OrgId }));
        Assert.Equal(2, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE org_id = @o AND action = 'import'", new { o = org.OrgId }));
    }

    [Fact]
    public async Task All_or_nothing_rejects_a_file_with_bad_rows_and_partial_saves_the_good_ones()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        await c.CreateRoomAsync("C1", "TAKEN01");
        var csv = "externalId,labelCode,roomName\n" +
                  "A-1,,Good\n" +
                  "bad id!,,Bad id\n" +
                  "A-2,,Good too\n" +
                  "A-1,,Duplicate key\n" +
                  "A-3,TAKEN01,Label on a room\n" +
                  "A-4,,Too,many,fields\n";
        var rejected = await HttpAssert.Status(await c.PostAsync("/api/spaces/import", Csv(csv)), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var rows = rejected.GetProperty("error").GetProperty("details").EnumerateArray().Select(d => d.GetProperty("row").GetInt32()).ToList();
        Assert.Equal([2, 4, 6], rows); // row = data row; the label clash is found at write time and also rejects the file
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM spaces WHERE org_id = @o", new { o = org.OrgId }));

        var partial = await HttpAssert.Status(await c.PostAsync("/api/spaces/import?mode=partial", Csv(csv)), HttpStatusCode.OK);
        Assert.Equal(2, partial.GetProperty("created").GetInt32());
        Assert.Equal(4, partial.GetProperty("failed").GetInt32());
        var errors = partial.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal([2, 4, 5, 6], errors.Select(e => e.GetProperty("row").GetInt32()));
        Assert.Contains("row 1", errors[1].Str("message"));
        Assert.Equal(["A-1", "A-2"], (await AllAsync(c, "/api/spaces?sort=externalId")).Select(s => s.Str("externalId")));
    }

    [Fact]
    public async Task People_import_by_configured_key_column_multipart_and_replace_existing()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        await HttpAssert.Status(await c.PatchAsJsonAsync("/api/settings",
            new { csv = new { people = new { keyColumn = "Employee No", columns = new { Dept = "data.department" } } } }), HttpStatusCode.OK);
        var desk = await c.CreateSpaceAsync("D1");
        var first = await HttpAssert.Status(await c.PostAsync("/api/people/import",
            Csv("Employee No,name,Dept\nE1,Ada,R&D\nE2,Grace,Navy\nE3,Linus,Kernel\n")), HttpStatusCode.OK);
        Assert.Equal(3, first.GetProperty("created").GetInt32());
        var people = await AllAsync(c, "/api/people?sort=externalId");
        Assert.Equal(["E1", "E2", "E3"], people.Select(p => p.Str("externalId")));
        Assert.Equal("R&D", people[0].GetProperty("data").GetProperty("department").GetString());
        Assert.All(people, p => Assert.StartsWith("POOL-", p.Str("virtualSpaceId")));
        Assert.Equal(3, people.Select(p => p.Str("virtualSpaceId")).Distinct().Count());
        await c.AssignAsync(people[0].Id(), desk.Id());

        // Multipart with options: E1 updated (keeps its desk), E4 new, E2 and E3 removed.
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes("Employee No;name;Dept\nE1;Ada L.;R&D\nE4;Barbara;Compilers\n"));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "people.csv");
        form.Add(new StringContent("{\"replaceExisting\":true}"), "options");
        var second = await HttpAssert.Status(await c.PostAsync("/api/people/import", form), HttpStatusCode.OK);
        Assert.Equal(1, second.GetProperty("created").GetInt32());
        Assert.Equal(1, second.GetProperty("updated").GetInt32());
        Assert.Equal(2, second.GetProperty("deleted").GetInt32());
        people = await AllAsync(c, "/api/people?sort=externalId");
        Assert.Equal(["E1", "E4"], people.Select(p => p.Str("externalId")));
        Assert.Equal("Ada L.", people[0].GetProperty("data").GetProperty("name").GetString());
        Assert.Equal(desk.Id(), people[0].GetProperty("assignedSpaceId").GetGuid());

        // The key column must exist; duplicate keys are row errors.
        await HttpAssert.Status(await c.PostAsync("/api/people/import", Csv("name\nNobody\n")), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var dup = await HttpAssert.Status(await c.PostAsync("/api/people/import", Csv("Employee No,name\nE9,A\nE9,B\n")), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal(2, Assert.Single(dup.GetProperty("error").GetProperty("details").EnumerateArray()).GetProperty("row").GetInt32());
    }

    [Fact]
    public async Task Oversized_empty_non_utf8_and_wrong_type_uploads_are_refused()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        var big = new StringBuilder("externalId,name\n");
        while (big.Length <= 10 * 1024 * 1024) big.Append("X-").Append(big.Length).Append(",some name padding padding padding\n");
        await HttpAssert.Status(await c.PostAsync("/api/people/import", Csv(big.ToString())), HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        await HttpAssert.Status(await c.PostAsync("/api/people/import", Csv("")), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var latin1 = new ByteArrayContent([.. Encoding.ASCII.GetBytes("externalId,name\nE1,Jos"), 0xE9, (byte)'\n']);
        latin1.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        await HttpAssert.Status(await c.PostAsync("/api/people/import", latin1), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.PostAsync("/api/people/import", JsonContent.Create(new { x = 1 })), HttpStatusCode.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE");
        await HttpAssert.Status(await c.PostAsync("/api/spaces/import?mode=sometimes", Csv("externalId\nA\n")), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var viewer = await org.ClientForRoleAsync("viewer");
        await HttpAssert.Status(await viewer.PostAsync("/api/people/import", Csv("externalId,name\nE1,A\n")), HttpStatusCode.Forbidden, "FORBIDDEN");
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM people WHERE org_id = @o", new { o = org.OrgId }));
    }
}
