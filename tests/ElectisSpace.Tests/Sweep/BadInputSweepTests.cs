using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using ElectisSpace.Tests.Infrastructure;
using ElectisSpace.Tests.OpenApi;
using Npgsql;
using Xunit.Abstractions;

namespace ElectisSpace.Tests.Sweep;

/// <summary>
/// The project's own black-box sweep: every operation of docs/openapi.json gets bad bodies, bad ids, bad queries and bad
/// If-Match values. Every answer must be a 4xx the document lists for that operation, in the error envelope, and no
/// table may change for a rejected request. One host and one database; row counts are compared per operation.
/// </summary>
public sealed class BadInputSweepTests(TestApp app, ITestOutputHelper output) : IClassFixture<TestApp>
{
    private sealed record Case(string Family, HttpMethod Method, string Url, HttpContent? Content, string? IfMatch = null);

    // Strings that must never get in: each is spliced raw into JSON text (already escaped as JSON would carry it).
    private static readonly (string Family, string Json)[] BadStrings =
    [
        ("lone surrogate", "\"a\\ud800b\""),
        ("lone low surrogate", "\"\\udc00\""),
        ("NUL", "\"a\\u0000b\""),
        ("control character", "\"a\\u0001b\""),
        ("100,000 characters", "\"" + new string('a', 100_000) + "\""),
    ];

    [Fact]
    public async Task Every_operation_answers_bad_input_with_a_documented_4xx_and_changes_nothing()
    {
        var doc = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(OpenApiTests.RepoRoot(), "docs", "openapi.json")))!.AsObject();
        var org = await app.CreateOrgAsync();
        var other = await app.CreateOrgAsync();
        var mine = await SeedAsync(org);
        var theirs = await SeedAsync(other);
        using var client = app.Client(org.AdminToken);

        var failures = new List<string>();
        var requests = 0;
        var hostRejections = 0;
        foreach (var (path, item) in doc["paths"]!.AsObject())
        foreach (var (method, opNode) in item!.AsObject())
        {
            var op = opNode!.AsObject();
            var cases = CasesFor(doc, path, method.ToUpperInvariant(), op, mine, theirs).ToList();
            if (cases.Count == 0) continue;
            var documented = op["responses"]!.AsObject().Select(r => r.Key).ToHashSet();
            var before = await CountRowsAsync();
            foreach (var c in cases)
            {
                requests++;
                using var req = new HttpRequestMessage(c.Method, c.Url) { Content = c.Content };
                if (c.IfMatch is not null) req.Headers.TryAddWithoutValidation("If-Match", c.IfMatch);
                // A server may refuse a too-large body before reading it; let it answer before the client sends it all.
                if (c.Content?.Headers.ContentLength > 1024 * 1024) req.Headers.ExpectContinue = true;
                // Headers first: an accepted GET /api/events is a stream that stays open, so its body is not read.
                using var res = await client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
                var status = (int)res.StatusCode;
                var text = res.Content.Headers.ContentType?.MediaType == "text/event-stream" ? "" : await res.Content.ReadAsStringAsync();
                // Kestrel itself refuses a NUL in the path (%00) while parsing the request line, before any middleware
                // runs, with a bodiless 400 that no application code can reach. That one is tolerated, and only that one.
                if (c.Family == "id: NUL" && status == 400 && text.Length == 0) { hostRejections++; continue; }
                var problem = Check(status, text, documented);
                if (problem is not null)
                    failures.Add($"{method.ToUpperInvariant()} {path} [{c.Family}] {Shorten(c.Url)} -> {status} {problem} {Shorten(text)}");
            }
            var after = await CountRowsAsync();
            foreach (var (table, n) in after.Where(kv => before[kv.Key] != kv.Value))
                failures.Add($"{method.ToUpperInvariant()} {path}: rejected requests changed {table} ({before[table]} -> {n} rows)");
        }
        output.WriteLine($"{requests} requests ({hostRejections} refused by Kestrel before the application)");
        foreach (var family in failures.GroupBy(Family).OrderBy(g => g.Key))
            output.WriteLine($"{family.Key}: {family.Count()}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {requests} bad requests were not answered as documented:\n" + string.Join("\n", failures.Take(200)));
    }

    private static string Family(string failure) =>
        failure.IndexOf('[') is var a and >= 0 && failure.IndexOf(']', a) is var b and > 0 ? failure[(a + 1)..b] : "row counts";

    /// <summary>The answer is a documented 4xx with the envelope whose code matches the status.</summary>
    private static string? Check(int status, string text, HashSet<string> documented)
    {
        if (status is < 400 or > 499) return "not a 4xx";
        if (!documented.Contains(status.ToString())) return "status not documented for this operation";
        try
        {
            var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
            var code = error.GetProperty("code").GetString()!;
            if (string.IsNullOrEmpty(error.GetProperty("message").GetString()) || !error.TryGetProperty("details", out _)) return "envelope incomplete";
            if (ErrorCodes.Status(code) != status) return $"code {code} does not match the status";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            return "no error envelope";
        }
        return null;
    }

    private IEnumerable<Case> CasesFor(JsonObject doc, string path, string method, JsonObject op, Ids mine, Ids theirs)
    {
        var m = new HttpMethod(method);
        var hasId = path.Contains("{id}", StringComparison.Ordinal);
        var url = hasId ? path.Replace("{id}", mine.For(path).ToString()) : path;
        var content = op["requestBody"]?["content"]?.AsObject();

        // Bad ids: not a uuid, NUL, very long, another organization's row. The body (if any) is the documented example.
        if (hasId)
        {
            HttpContent? Body() => content?["application/json"]?["example"] is { } ex ? Json(ex.ToJsonString()) : content is null ? null : Json("{}");
            yield return new("id: not a uuid", m, path.Replace("{id}", "not-a-uuid"), Body());
            yield return new("id: NUL", m, path.Replace("{id}", "%00"), Body());
            yield return new("id: control character", m, path.Replace("{id}", "a%01b"), Body());
            yield return new("id: 10,000 characters", m, path.Replace("{id}", new string('a', 10_000)), Body());
            yield return new("id: another organization's", m, path.Replace("{id}", theirs.For(path).ToString()), Body());
        }

        // Bad queries: page/limit out of range or not numbers, NUL and very long values in every string parameter.
        foreach (var p in (op["parameters"]?.AsArray() ?? []).Select(n => n!.AsObject()).Where(n => (string?)n["in"] == "query"))
        {
            var name = (string)p["name"]!;
            var type = (string?)p["schema"]?["type"];
            var values = new List<string>();
            if (name is "page" or "limit") values.AddRange(["-1", "0", "abc", "1.5", "2147483647", "2147483648", "99999999999"]);
            if (name == "page") values.Add("21474838&limit=100");
            if (type == "string") values.AddRange(["a%00b", "%00", "a%01b", new string('a', 10_000)]);
            else values.AddRange(["a%00b", "not-a-value"]);
            foreach (var v in values)
                yield return new($"query {name}", m, $"{url}?{name}={v}", content is null ? null : Json("{}"));
        }

        if (content?["application/json"] is { } json)
        {
            var schema = Resolve(doc, json["schema"]!);
            var example = json["example"]?.AsObject() ?? new JsonObject();
            var props = schema["properties"]?.AsObject().Select(kv => (kv.Key, Schema: Resolve(doc, kv.Value!))).ToList() ?? [];
            yield return new("not JSON", m, url, Json("this is not json"));
            yield return new("JSON array", m, url, Json("[1,2,3]"));
            yield return new("truncated JSON", m, url, Json("{\"a\":"));
            yield return new("invalid UTF-8", m, url, JsonBytes([.. Encoding.UTF8.GetBytes($"{{\"{props.FirstOrDefault().Key ?? "a"}\":\"a"), 0xff, 0xfe, .. "b\"}"u8]));
            yield return new("deep nesting", m, url, Json("{\"a\":" + new string('[', 5000) + new string(']', 5000) + "}"));
            yield return new("body over the limit", m, url, Json("{\"a\":\"" + new string('a', 2 * 1024 * 1024) + "\"}"));
            if (schema["required"] is JsonArray { Count: > 0 }) yield return new("missing required", m, url, Json("{}"));
            if (props.Count > 0)
            {
                var first = props[0].Key;
                var value = example[first]?.ToJsonString() ?? "\"x\"";
                yield return new("duplicate key", m, url, Json($"{{\"{first}\":{value},\"{first}\":{value}}}"));
                yield return new("duplicate key (case)", m, url, Json($"{{\"{first}\":{value},\"{char.ToUpperInvariant(first[0])}{first[1..]}\":{value}}}"));
            }
            foreach (var (prop, propSchema) in props)
            {
                var types = Types(propSchema);
                foreach (var wrong in WrongValues(types))
                    yield return new($"wrong type {prop}", m, url, Json(With(example, prop, wrong)));
                foreach (var (family, bad) in BadStrings)
                {
                    if (types.Contains("string")) yield return new($"{family} in {prop}", m, url, Json(With(example, prop, bad)));
                    else if (types.Contains("array")) yield return new($"{family} in {prop}[]", m, url, Json(With(example, prop, $"[{bad}]")));
                    else if (types.Contains("object") && propSchema["properties"] is null)
                        yield return new($"{family} in {prop}.*", m, url, Json(With(example, prop, $"{{\"k\":{bad},\"kk\":\"v\"}}")));
                    else if (types.Contains("object") && propSchema["properties"] is JsonObject inner)
                        foreach (var (innerProp, innerSchema) in inner)
                            if (Types(Resolve(doc, innerSchema!)).Contains("string"))
                                yield return new($"{family} in {prop}.{innerProp}", m, url, Json(With(example, prop, $"{{\"{innerProp}\":{bad}}}")));
                }
                if (types.Contains("object") && propSchema["properties"] is JsonObject)
                {
                    yield return new($"unknown key in {prop}", m, url, Json(With(example, prop, "{\"noSuchKey\":\"x\"}")));
                }
            }
            // Bad If-Match on versioned PATCHes (the documented example as body).
            if (method == "PATCH" && (hasId || path.EndsWith("/settings", StringComparison.Ordinal)))
                foreach (var v in new[] { "garbage", "\"1\", \"2\"", "\"0\"", "\"-3\"", "\"99999\"", "W/\"x\"", "\"2147483648\"" })
                    yield return new("If-Match", m, url, Json(example.ToJsonString()), v);
        }
        else if (content is not null) // CSV imports
        {
            const string b = "XX";
            yield return new("malformed multipart", m, url, Raw("multipart/form-data; boundary=XX",
                Encoding.ASCII.GetBytes($"--{b}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc")));
            yield return new("multipart without boundary", m, url, Raw("multipart/form-data", "abc"u8.ToArray()));
            yield return new("multipart bad options", m, url, Raw($"multipart/form-data; boundary={b}", Encoding.ASCII.GetBytes(
                $"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nexternalId\r\nA1\r\n" +
                $"--{b}\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n{{\"mode\":\"a\\ud800\"}}\r\n--{b}--\r\n")));
            yield return new("not UTF-8 CSV", m, url, Raw("text/csv", [0xff, 0xfe, 0x00, 0x41, 0x0a, 0xff]));
            yield return new("CSV with NUL", m, url, Raw("text/csv", "externalId,name\r\nA\u0000B,x\r\n"u8.ToArray()));
            yield return new("CSV over the limit", m, url, Raw("text/csv", Encoding.ASCII.GetBytes("externalId\r\n" + new string('a', 11 * 1024 * 1024))));
            yield return new("wrong content type", m, url, Raw("application/x-foo", "abc"u8.ToArray()));
        }
    }

    private static IEnumerable<string> WrongValues(HashSet<string> types)
    {
        if (!types.Contains("string")) yield return "\"text\"";
        if (!types.Contains("number") && !types.Contains("integer")) yield return "12345";
        if (!types.Contains("object")) yield return "{\"a\":1}";
        if (!types.Contains("array")) yield return "[1]";
        if (!types.Contains("boolean") && types.Contains("integer")) yield return "true";
    }

    private static HashSet<string> Types(JsonNode schema) => schema["type"] switch
    {
        JsonArray a => a.Select(t => (string)t!).ToHashSet(),
        JsonValue v => [(string)v!],
        _ => schema["enum"] is not null ? ["string"] : [],
    };

    private static JsonNode Resolve(JsonObject doc, JsonNode schema)
    {
        if (schema["$ref"] is JsonValue r) return doc["components"]!["schemas"]![((string)r!).Split('/')[^1]]!;
        if (schema["allOf"] is JsonArray { Count: 1 } all) return Resolve(doc, all[0]!);
        return schema;
    }

    /// <summary>The example with one property replaced by raw JSON text (which may be invalid on purpose).</summary>
    private static string With(JsonObject example, string prop, string rawValue)
    {
        var o = example.DeepClone().AsObject();
        o[prop] = "__RAW__";
        return o.ToJsonString().Replace("\"__RAW__\"", rawValue, StringComparison.Ordinal);
    }

    private static ByteArrayContent Json(string text) => JsonBytes(Encoding.UTF8.GetBytes(text));
    private static ByteArrayContent JsonBytes(byte[] bytes) => Raw("application/json", bytes);
    private static ByteArrayContent Raw(string contentType, byte[] bytes)
    {
        var c = new ByteArrayContent(bytes);
        c.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return c;
    }

    private static string Shorten(string s) => s.Length > 160 ? s[..160] + "…" : s;

    /// <summary>Rows of one organization that give every id route something real to aim at.</summary>
    private sealed record Ids(Guid Space, Guid Person, Guid List, Guid Room, Guid User)
    {
        private static readonly Guid NoSuchRow = Guid.NewGuid();

        public Guid For(string path) => path switch
        {
            _ when path.StartsWith("/api/spaces/", StringComparison.Ordinal) => Space,
            _ when path.StartsWith("/api/people/lists/", StringComparison.Ordinal) => List,
            _ when path.StartsWith("/api/people/", StringComparison.Ordinal) => Person,
            _ when path.StartsWith("/api/conference/", StringComparison.Ordinal) => Room,
            _ when path.StartsWith("/api/users/", StringComparison.Ordinal) => User,
            // Sync jobs and dead letters: an id of nothing in this organization (404 is that route's documented answer).
            _ when path.StartsWith("/api/sync/", StringComparison.Ordinal) => NoSuchRow,
            _ => throw new InvalidOperationException($"No id for {path}"),
        };
    }

    private static async Task<Ids> SeedAsync(TestOrg org)
    {
        var admin = org.Admin;
        var space = await admin.CreateSpaceAsync("S-" + Guid.NewGuid().ToString("N")[..8]);
        var person = await admin.CreatePersonAsync("Sweep Person");
        var room = await admin.CreateRoomAsync("R-" + Guid.NewGuid().ToString("N")[..8]);
        var list = await HttpAssert.Status(await admin.PostAsync("/api/people/lists",
            new StringContent("{\"name\":\"Sweep list " + Guid.NewGuid().ToString("N")[..6] + "\"}", Encoding.UTF8, "application/json")), System.Net.HttpStatusCode.Created);
        var (userId, _, _) = await org.CreateUserAsync("viewer");
        return new Ids(space.Id(), person.Id(), list.Id(), room.Id(), userId);
    }

    /// <summary>Row counts of every table but rate_limits (which counts attempts by design), in one query.</summary>
    private async Task<Dictionary<string, long>> CountRowsAsync()
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        var tables = (await conn.QueryAsync<string>(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('rate_limits') ORDER BY tablename")).ToList();
        var sql = string.Join(" UNION ALL ", tables.Select(t => $"SELECT '{t}' AS t, count(*) AS n FROM \"{t}\""));
        return (await conn.QueryAsync<(string T, long N)>(sql)).ToDictionary(r => r.T, r => r.N);
    }
}
