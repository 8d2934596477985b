using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using ElectisSpace.Core.People;
using ElectisSpace.Core.Spaces;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace ElectisSpace.Tests.Lists;

/// <summary>
/// Issue 18: cursor paging and the streamed export show exactly the rows page paging shows; search means what the
/// per-field search meant before its index existed; the list queries plan on indexes at 10,000 rows. No timings here:
/// speed is measured by the bench command.
/// </summary>
public sealed class ListQueryTests(TestApp app) : IClassFixture<TestApp>
{
    /// <summary>23 people with repeated and missing names and external ids, all created in one statement (equal createdAt).</summary>
    private async Task<TestOrg> OrgWithAwkwardPeopleAsync()
    {
        var org = await app.CreateOrgAsync();
        await app.ExecAsync("""
            INSERT INTO people (org_id, external_id, data, virtual_space_id)
            SELECT @org, CASE WHEN i % 5 = 0 THEN NULL ELSE 'E' || (i % 9) || '-' || i END,
                   CASE WHEN i % 4 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('name', 'N' || (i % 7), 'department', 'D' || (i % 3)) END,
                   'POOL-T' || i
            FROM generate_series(1, 23) i
            """, new { org = org.OrgId });
        return org;
    }

    private static async Task<List<Guid>> WalkPagesAsync(HttpClient c, string path, string query)
    {
        var ids = new List<Guid>();
        for (var page = 1; ; page++)
        {
            var body = await HttpAssert.Status(await c.GetAsync($"{path}?{query}&page={page}"), HttpStatusCode.OK);
            ids.AddRange(body.GetProperty("data").EnumerateArray().Select(e => e.Id()));
            if (page >= body.GetProperty("pagination").GetProperty("totalPages").GetInt32()) return ids;
        }
    }

    private static async Task<List<Guid>> WalkCursorAsync(HttpClient c, string path, string query, long expectedTotal)
    {
        var ids = new List<Guid>();
        var url = $"{path}?{query}";
        for (var page = 1; ; page++)
        {
            var body = await HttpAssert.Status(await c.GetAsync(url), HttpStatusCode.OK);
            var p = body.GetProperty("pagination");
            Assert.Equal(page, p.GetProperty("page").GetInt32());
            Assert.Equal(expectedTotal, p.GetProperty("total").GetInt64());
            ids.AddRange(body.GetProperty("data").EnumerateArray().Select(e => e.Id()));
            if (!p.TryGetProperty("nextCursor", out var next))
            {
                Assert.Equal(p.GetProperty("totalPages").GetInt32(), page);
                return ids;
            }
            url = $"{path}?{query}&cursor={Uri.EscapeDataString(next.GetString()!)}";
        }
    }

    [Theory]
    [InlineData("createdAt")]
    [InlineData("-createdAt")]
    [InlineData("name")]
    [InlineData("-name")]
    [InlineData("externalId")]
    [InlineData("-externalId")]
    [InlineData("updatedAt")]
    public async Task Cursor_paging_of_people_shows_the_rows_page_paging_shows_in_the_same_order(string sort)
    {
        var org = await OrgWithAwkwardPeopleAsync();
        var c = org.Admin;
        var byPage = await WalkPagesAsync(c, "/api/people", $"limit=5&sort={sort}");
        Assert.Equal(23, byPage.Count);
        Assert.Equal(23, byPage.Distinct().Count());
        Assert.Equal(byPage, await WalkCursorAsync(c, "/api/people", $"limit=5&sort={sort}", 23));
        // With a filter too (nulls and ties inside the filtered set).
        Assert.Equal(await WalkPagesAsync(c, "/api/people", $"limit=4&sort={sort}&search=n"),
            await WalkCursorAsync(c, "/api/people", $"limit=4&sort={sort}&search=n",
                await app.CountAsync("SELECT count(*) FROM people WHERE org_id = @o AND data->>'name' IS NOT NULL", new { o = org.OrgId })));
    }

    [Theory]
    [InlineData("externalId")]
    [InlineData("-labelCode")]
    [InlineData("labelCode")]
    public async Task Cursor_paging_of_spaces_shows_the_rows_page_paging_shows_in_the_same_order(string sort)
    {
        var org = await app.CreateOrgAsync();
        await app.ExecAsync("""
            INSERT INTO spaces (org_id, external_id, label_code, data)
            SELECT @org, 'S' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'L' || (i % 4) || '-' || i END, '{}'::jsonb
            FROM generate_series(1, 17) i
            """, new { org = org.OrgId });
        var byPage = await WalkPagesAsync(org.Admin, "/api/spaces", $"limit=3&sort={sort}");
        Assert.Equal(17, byPage.Distinct().Count());
        Assert.Equal(byPage, await WalkCursorAsync(org.Admin, "/api/spaces", $"limit=3&sort={sort}", 17));
    }

    [Fact]
    public async Task A_bad_or_mismatched_cursor_is_a_400_and_lists_without_cursors_keep_their_envelope()
    {
        var org = await OrgWithAwkwardPeopleAsync();
        var c = org.Admin;
        var first = await HttpAssert.Status(await c.GetAsync("/api/people?limit=5&sort=name"), HttpStatusCode.OK);
        var cursor = Uri.EscapeDataString(first.GetProperty("pagination").GetProperty("nextCursor").GetString()!);
        await HttpAssert.Status(await c.GetAsync("/api/people?cursor=not-a-cursor"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.GetAsync($"/api/people?cursor={cursor}&sort=-name&limit=5"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.GetAsync($"/api/people?cursor={cursor}&sort=name&limit=6"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await c.GetAsync($"/api/people?cursor={cursor}&sort=name&page=2"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        // A well-formed cursor with a value that is no timestamp (hand-made) is a 400 too, not a database error.
        var forged = new ListCursor("createdAt", "not a time", Guid.NewGuid(), 2, 50).Encode();
        await HttpAssert.Status(await c.GetAsync($"/api/people?cursor={forged}"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var second = await HttpAssert.Status(await c.GetAsync($"/api/people?cursor={cursor}&sort=name"), HttpStatusCode.OK);
        Assert.Equal(2, second.GetProperty("pagination").GetProperty("page").GetInt32());

        // The last page, and lists that don't page by cursor, carry exactly the four pagination fields as before.
        var last = await HttpAssert.Status(await c.GetAsync("/api/people?limit=5&page=5"), HttpStatusCode.OK);
        Assert.Equal(["page", "limit", "total", "totalPages"], last.GetProperty("pagination").EnumerateObject().Select(p => p.Name));
        var users = await HttpAssert.Status(await c.GetAsync("/api/users"), HttpStatusCode.OK);
        Assert.Equal(["page", "limit", "total", "totalPages"], users.GetProperty("pagination").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Totals_stay_exact_when_the_count_is_skipped_or_run()
    {
        var org = await OrgWithAwkwardPeopleAsync();
        foreach (var (query, total) in new[] { ("limit=5&page=1", 23), ("limit=5&page=5", 23), ("limit=5&page=9", 23), ("limit=50", 23),
                     ("search=nothing-matches", 0), ("search=nothing-matches&page=3", 0), ("assigned=true", 0), ("assigned=false&limit=23", 23) })
        {
            var body = await HttpAssert.Status(await org.Admin.GetAsync($"/api/people?{query}"), HttpStatusCode.OK);
            Assert.Equal(total, body.GetProperty("pagination").GetProperty("total").GetInt64());
        }
    }

    [Fact]
    public async Task Unfiltered_totals_follow_every_kind_of_write_exactly()
    {
        var org = await OrgWithAwkwardPeopleAsync();
        var other = await OrgWithAwkwardPeopleAsync();
        var c = org.Admin;
        async Task AssertTotalsAsync(TestOrg o)
        {
            foreach (var (path, table) in new[] { ("/api/people", "people"), ("/api/spaces", "spaces") })
            {
                var body = await HttpAssert.Status(await o.Admin.GetAsync($"{path}?limit=1"), HttpStatusCode.OK);
                Assert.Equal(await app.CountAsync($"SELECT count(*) FROM {table} WHERE org_id = @o", new { o = o.OrgId }),
                    body.GetProperty("pagination").GetProperty("total").GetInt64());
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => org.App.Client(org.AdminToken).CreatePersonAsync($"Parallel {i}")));
        var spaces = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => org.App.Client(org.AdminToken).CreateSpaceAsync($"PAR-{i}")));
        await AssertTotalsAsync(org);
        var people = await HttpAssert.Status(await c.GetAsync("/api/people?limit=3"), HttpStatusCode.OK);
        foreach (var p in people.GetProperty("data").EnumerateArray())
            await HttpAssert.Status(await c.DeleteAsync($"/api/people/{p.Id()}"), HttpStatusCode.NoContent);
        await HttpAssert.Status(await c.DeleteAsync($"/api/spaces/{spaces[0].Id()}"), HttpStatusCode.NoContent);
        await AssertTotalsAsync(org);

        var csv = new StringContent("externalId,name\nK1,Kept One\nK2,Kept Two\nK3,Kept Three\n", System.Text.Encoding.UTF8, "text/csv");
        await HttpAssert.Status(await c.PostAsync("/api/people/import", csv), HttpStatusCode.OK);
        await AssertTotalsAsync(org);
        csv = new StringContent("externalId,name\nK1,Kept One\nK4,Kept Four\n", System.Text.Encoding.UTF8, "text/csv");
        await HttpAssert.Status(await c.PostAsync("/api/people/import?replaceExisting=true", csv), HttpStatusCode.OK);
        Assert.Equal(2, await app.CountAsync("SELECT count(*) FROM people WHERE org_id = @o", new { o = org.OrgId }));
        await AssertTotalsAsync(org);
        await AssertTotalsAsync(other);
    }

    [Fact]
    public async Task Export_streams_every_person_the_filters_select_in_the_lists_order()
    {
        var org = await OrgWithAwkwardPeopleAsync();
        var c = org.Admin;
        foreach (var query in new[] { "sort=name", "sort=-externalId&search=n", "assigned=false&sort=createdAt" })
        {
            var res = await c.GetAsync($"/api/people/export?{query}");
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            Assert.Equal("application/json", res.Content.Headers.ContentType?.MediaType);
            var exported = (await res.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
            Assert.Equal(await WalkPagesAsync(c, "/api/people", query + "&limit=7"), exported.Select(e => e.Id()));
            // Same representation as the list's.
            var listed = await HttpAssert.Status(await c.GetAsync($"/api/people?{query}&limit=1"), HttpStatusCode.OK);
            Assert.Equal(listed.GetProperty("data")[0].GetRawText(), exported[0].GetRawText());
        }
        var empty = await c.GetAsync("/api/people/export?search=nothing-matches");
        Assert.Equal("[]", await empty.Content.ReadAsStringAsync());
        await HttpAssert.Status(await c.GetAsync("/api/people/export?sort=shoeSize"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await HttpAssert.Status(await app.Client().GetAsync("/api/people/export"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        // Another organization's people never appear.
        var other = await app.CreateOrgAsync();
        Assert.Equal("[]", await (await other.Admin.GetAsync("/api/people/export")).Content.ReadAsStringAsync());
    }

    /// <summary>The per-field predicates the lists used before migration 0009, verbatim: the meaning search must keep.</summary>
    private static readonly Dictionary<string, string> SearchBefore = new()
    {
        ["/api/people"] = """
            SELECT p.id FROM people p WHERE p.org_id = @org AND (p.external_id ILIKE @pattern OR p.virtual_space_id ILIKE @pattern
                OR EXISTS (SELECT 1 FROM jsonb_each_text(p.data) d WHERE d.value ILIKE @pattern))
            """,
        ["/api/spaces"] = """
            SELECT s.id FROM spaces s WHERE s.org_id = @org AND (s.external_id ILIKE @pattern OR s.label_code ILIKE @pattern
                OR EXISTS (SELECT 1 FROM jsonb_each_text(s.data) e WHERE e.value ILIKE @pattern))
            """,
        ["/api/users"] = """
            SELECT id FROM users WHERE org_id = @org AND (email ILIKE @pattern OR first_name ILIKE @pattern OR last_name ILIKE @pattern
                OR (coalesce(first_name, '') || ' ' || coalesce(last_name, '')) ILIKE @pattern)
            """,
        ["/api/conference"] = """
            SELECT id FROM conference_rooms WHERE org_id = @org AND (external_id ILIKE @pattern OR room_name ILIKE @pattern OR meeting_name ILIKE @pattern)
            """,
    };

    [Fact]
    public async Task Search_finds_exactly_what_the_per_field_search_found()
    {
        var org = await app.CreateOrgAsync();
        var c = org.Admin;
        string[] values = ["Ada Lovelace", "say \"hi\"", "50% off", "x_y", @"back\slash", "École Polytechnique", "ÉCOLE", "line\nbreak", "Person 12", "POOL-1"];
        for (var i = 0; i < values.Length; i++)
        {
            await HttpAssert.Status(await c.PostAsJsonAsync("/api/people", new { externalId = $"P{i}", data = new { name = values[i], note = values[(i + 3) % values.Length] } }), HttpStatusCode.Created);
            await HttpAssert.Status(await c.PostAsJsonAsync("/api/spaces", new { externalId = $"S{i}", data = new { roomName = values[i] } }), HttpStatusCode.Created);
            await HttpAssert.Status(await c.PostAsJsonAsync("/api/conference", new { externalId = $"C{i}", roomName = values[i] }), HttpStatusCode.Created);
        }
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/users", new { email = "ada@example.test", password = "User-Passw0rd", role = "viewer", firstName = "Ada", lastName = "Lovelace" }), HttpStatusCode.Created);
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/users", new { email = "x_y@example.test", password = "User-Passw0rd", role = "viewer", firstName = "École" }), HttpStatusCode.Created);

        string[] searches = ["ada", "ADA LOVE", "a lovelace", "\"hi\"", "50%", "%", "x_y", "_", @"\", @"back\s", "école", "ÉCOLE POLY", "Person 1", "pool-",
            "e\nb", "line\nbreak", "P1", "s1", "c1", "nothing", "Ada\nLovelace", "example.test"];
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        foreach (var (path, before) in SearchBefore)
            foreach (var text in searches)
            {
                var expected = (await conn.QueryAsync<Guid>(before, new { org = org.OrgId, pattern = Like.Contains(text) })).OrderBy(g => g).ToList();
                var body = await HttpAssert.Status(await c.GetAsync($"{path}?limit=100&search={Uri.EscapeDataString(text)}"), HttpStatusCode.OK);
                var actual = body.GetProperty("data").EnumerateArray().Select(e => e.Id()).OrderBy(g => g).ToList();
                Assert.True(expected.SequenceEqual(actual), $"{path} search={JsonSerializer.Serialize(text)}: expected {expected.Count} rows, got {actual.Count}");
                Assert.Equal(expected.Count, body.GetProperty("pagination").GetProperty("total").GetInt64());
            }
    }

    [Fact]
    public async Task List_and_search_queries_plan_on_indexes_at_ten_thousand_rows()
    {
        var org = await app.CreateOrgAsync();
        await app.ExecAsync("""
            INSERT INTO spaces (org_id, external_id, data)
            SELECT @org, 'D' || lpad(i::text, 5, '0'), jsonb_build_object('roomName', 'Desk ' || i, 'floor', (i % 12)::text)
            FROM generate_series(1, 10000) i;
            INSERT INTO people (org_id, external_id, data, virtual_space_id)
            SELECT @org, 'E' || lpad(i::text, 6, '0'), jsonb_build_object('name', 'Person ' || i, 'department', 'Dept ' || (i % 40)),
                   'POOL-' || lpad(i::text, 5, '0')
            FROM generate_series(1, 10000) i;
            """, new { org = org.OrgId });
        // As autovacuum leaves them: statistics, and the visibility map index-only scans (counts) rely on.
        await app.ExecAsync("VACUUM ANALYZE people");
        await app.ExecAsync("VACUUM ANALYZE spaces");
        var req = new DefaultHttpContext().Request;
        var byCreated = ListSort.From(req, PeopleRepository.SortColumns, "createdAt");
        var page = new PageRequest(1, 50);
        var cursor = new ListCursor("createdAt", DateTimeOffset.UtcNow.ToString("O"), Guid.NewGuid(), 100, 50);

        var plans = new List<(string What, string Plan)>();
        foreach (var (what, filter, cur) in new[]
                 {
                     ("people page 1", new PeopleFilter(null, null, null, byCreated), (ListCursor?)null),
                     ("people after a cursor", new PeopleFilter(null, null, null, byCreated), cursor),
                     ("people search", new PeopleFilter("Person 4242", null, null, byCreated), null),
                     ("people search, assigned", new PeopleFilter("dept 17", false, null, byCreated), null),
                 })
        {
            var (sql, args) = PeopleRepository.ListQuery(org.OrgId, filter, page, cur);
            plans.Add((what, await ExplainAsync(sql, args)));
            var (countSql, countArgs) = PeopleRepository.CountQuery(org.OrgId, filter);
            plans.Add((what + " (count)", await ExplainAsync(countSql, countArgs)));
        }
        var spaceSort = ListSort.From(req, SpacesRepository.SortColumns, "externalId");
        foreach (var (what, filter) in new[] { ("spaces page 1", new SpaceFilter(null, null, null, spaceSort)), ("spaces search", new SpaceFilter("Desk 777", null, null, spaceSort)) })
        {
            var (sql, args) = SpacesRepository.ListQuery(org.OrgId, filter, page, null);
            plans.Add((what, await ExplainAsync(sql, args)));
            var (countSql, countArgs) = SpacesRepository.CountQuery(org.OrgId, filter);
            plans.Add((what + " (count)", await ExplainAsync(countSql, countArgs)));
        }
        // A deep page of 100 joins its rows one key probe each (the lateral join), not the whole other table by hash.
        var deep = new PageRequest(50, 100);
        var (peopleDeep, peopleDeepArgs) = PeopleRepository.ListQuery(org.OrgId, new PeopleFilter(null, null, null, byCreated), deep, null);
        plans.Add(("people page 50 of 100", await ExplainAsync(peopleDeep, peopleDeepArgs)));
        var (spacesDeep, spacesDeepArgs) = SpacesRepository.ListQuery(org.OrgId, new SpaceFilter(null, null, null, spaceSort), deep, null);
        plans.Add(("spaces page 50 of 100", await ExplainAsync(spacesDeep, spacesDeepArgs)));

        foreach (var (what, plan) in plans)
        {
            Assert.False(plan.Contains("Seq Scan on people") || plan.Contains("Seq Scan on spaces"), $"{what} scans the whole table:\n{plan}");
            // An unfiltered count reads the organization's counter rows (row_counts, a few per organization): by its key or,
            // while the shared table is small, by a scan of it; either way never the entity table.
            if (!plan.Contains("on row_counts")) Assert.True(plan.Contains("Index"), $"{what} uses no index:\n{plan}");
        }
        Assert.Contains("people_search_trgm_idx", plans.Single(p => p.What == "people search (count)").Plan);
        Assert.Contains("spaces_search_trgm_idx", plans.Single(p => p.What == "spaces search (count)").Plan);
        Assert.Contains("people_org_created_idx", plans.Single(p => p.What == "people after a cursor").Plan);
        Assert.Contains("on row_counts", plans.Single(p => p.What == "people page 1 (count)").Plan);
        Assert.Contains("on row_counts", plans.Single(p => p.What == "spaces page 1 (count)").Plan);
    }

    private async Task<string> ExplainAsync(string sql, DynamicParameters args)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        return string.Join("\n", await conn.QueryAsync<string>("EXPLAIN " + sql, args));
    }
}
