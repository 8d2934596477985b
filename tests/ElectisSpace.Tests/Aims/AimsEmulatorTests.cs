using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ElectisSpace.AimsEmulator;

namespace ElectisSpace.Tests.Aims;

/// <summary>What other tests rely on from the AIMS emulator, over raw HTTP against an in-process host.</summary>
public sealed class AimsEmulatorTests : IAsyncLifetime
{
    private const string Company = EmulatorSeed.DefaultCompany;
    private const string Store = EmulatorSeed.DefaultStore;
    private const string Api = "common/api/v2/common";
    private const string StoreQuery = $"company={Company}&store={Store}";

    private AimsEmulatorHost _aims = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync() => await StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _aims.DisposeAsync();
    }

    private async Task StartAsync(EmulatorSeed? seed = null, EmulatorOptions? options = null)
    {
        if (_aims is not null) await DisposeAsync();
        _aims = await AimsEmulatorHost.StartAsync(seed, options);
        _http = new HttpClient { BaseAddress = _aims.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
    }

    // ---- auth ----

    [Fact]
    public async Task Login_returns_the_token_envelope_and_bad_credentials_are_401()
    {
        var ok = await Json(await Login(), HttpStatusCode.OK);
        Assert.Equal("200", (string?)ok["responseCode"]);
        Assert.Equal("Bearer", (string?)ok["responseMessage"]!["token_type"]);
        Assert.Equal(3600, (int?)ok["responseMessage"]!["expires_in"]);
        Assert.False(string.IsNullOrEmpty((string?)ok["responseMessage"]!["refresh_token"]));

        var bad = await Json(await Login(password: "wrong"), HttpStatusCode.Unauthorized);
        Assert.Equal("INVALID_USERNAME_AND_PASSWORD", (string?)bad["responseMessage"]);
        var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "common/api/v2/token"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, head.StatusCode);
    }

    [Fact]
    public async Task Refresh_rotates_and_the_old_refresh_token_is_rejected()
    {
        var first = (await Json(await Login(), HttpStatusCode.OK))["responseMessage"]!;
        var refreshed = await Json(await Post("common/api/v2/token/refresh", new { refreshToken = (string?)first["refresh_token"] }), HttpStatusCode.OK);
        var newAccess = (string)refreshed["responseMessage"]!["access_token"]!;
        Assert.NotEqual((string?)first["access_token"], newAccess);

        await Json(await Post("common/api/v2/token/refresh", new { refreshToken = (string?)first["refresh_token"] }), HttpStatusCode.Unauthorized);
        await Json(await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}&page=0&size=5", newAccess), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Missing_invalid_and_expired_tokens_answer_401_with_the_reason()
    {
        var clock = new ManualClock();
        await StartAsync(options: new EmulatorOptions { Clock = clock, TokenLifetime = TimeSpan.FromMinutes(10) });
        var token = await Token();
        var url = $"{Api}/labels?{StoreQuery}";

        await AssertMessage(await Send(HttpMethod.Get, url, token: null), HttpStatusCode.Unauthorized, "Unauthorized: TOKEN_NOT_FOUND_IN_REQUEST");
        await AssertMessage(await Send(HttpMethod.Get, url, "not-a-token"), HttpStatusCode.Unauthorized, "Unauthorized: TOKEN_IS_INVALID");
        await Json(await Send(HttpMethod.Get, url, token), HttpStatusCode.OK);
        clock.Advance(TimeSpan.FromMinutes(10));
        await AssertMessage(await Send(HttpMethod.Get, url, token), HttpStatusCode.Unauthorized, "Unauthorized: TOKEN_EXPIRED");
    }

    // ---- tenancy ----

    [Fact]
    public async Task Unknown_company_is_403_and_missing_or_unknown_store_is_405()
    {
        var token = await Token();
        await AssertMessage(await Send(HttpMethod.Get, $"{Api}/labels?company=NOPE&store={Store}", token), HttpStatusCode.Forbidden, "COMPANY_NOT_FOUND");
        await AssertMessage(await Send(HttpMethod.Get, $"{Api}/labels?company={Company}", token), (HttpStatusCode)405, "STORE_CODE_NOT_FOUND");
        await AssertMessage(await Send(HttpMethod.Get, $"{Api}/labels?company={Company}&store=999", token), (HttpStatusCode)405, "STORE_CODE_NOT_FOUND");

        // A company that exists but is not this account's is also 403.
        _aims.State.Seed(new EmulatorSeed { Companies = [new SeedCompany { Code = "OTHER", Stores = [new SeedStore { Code = Store }] }] });
        await AssertMessage(await Send(HttpMethod.Get, $"{Api}/labels?company=OTHER&store={Store}", token), HttpStatusCode.Forbidden, "COMPANY_NOT_FOUND");
    }

    [Fact]
    public async Task Stores_are_isolated_and_listed_with_counts()
    {
        var seed = EmulatorSeed.CreateDefault(labelCount: 3);
        seed.Companies[0].Stores.Add(new SeedStore { Code = "002", Name = "Second", Labels = EmulatorSeed.CreateLabels(5, "0470FFFF") });
        await StartAsync(seed);
        var token = await Token();
        await Json(await Send(HttpMethod.Post, $"{Api}/articles?{StoreQuery}", token, new[] { new { articleId = "A1" } }), HttpStatusCode.OK);

        Assert.Single(_aims.State.Articles(Company, Store));
        Assert.Empty(_aims.State.Articles(Company, "002"));
        var stores = (await Json(await Send(HttpMethod.Get, $"{Api}/store?company={Company}", token), HttpStatusCode.OK))["stores"]!.AsArray();
        Assert.Equal(["001:3:1", "002:5:0"], stores.Select(s => $"{s!["store"]}:{s["labelCount"]}:{s["articleCount"]}"));
    }

    // ---- articles ----

    [Fact]
    public async Task Article_info_pages_1200_articles_as_500_500_200_then_empty()
    {
        var token = await Token();
        for (var batch = 0; batch < 3; batch++)
        {
            var items = Enumerable.Range(batch * 400, 400).Select(i => new { articleId = $"A{i:D4}", data = new { ITEM_NAME = $"Item {i}" } });
            var body = await Json(await Send(HttpMethod.Post, $"{Api}/articles?{StoreQuery}", token, items), HttpStatusCode.OK);
            Assert.Equal("SUCCESS", (string?)body["responseMessage"]);
            Assert.Equal(400, (int?)body["validCount"]);
        }

        var sizes = new List<int>();
        for (var page = 0; page < 3; page++)
        {
            var body = await Json(await Send(HttpMethod.Get, $"{Api}/config/article/info?{StoreQuery}&page={page}&size=500", token), HttpStatusCode.OK);
            Assert.Equal(1200, (int?)body["totalArticleCnt"]);
            var rows = body["articleList"]!.AsArray();
            sizes.Add(rows.Count);
            Assert.Equal($"A{page * 500:D4}", (string?)rows[0]!["articleId"]);
        }
        Assert.Equal([500, 500, 200], sizes);
        Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Get, $"{Api}/config/article/info?{StoreQuery}&page=3&size=500", token)).StatusCode);

        // size is capped at 500; the summary list has no data.
        var capped = await Json(await Send(HttpMethod.Get, $"{Api}/articles?{StoreQuery}&page=0&size=1000", token), HttpStatusCode.OK);
        Assert.Equal(500, capped["articleList"]!.AsArray().Count);
        Assert.Null(capped["articleList"]![0]!["data"]);
    }

    [Fact]
    public async Task Post_rejects_non_arrays_items_without_articleId_and_more_than_500()
    {
        var token = await Token();
        var url = $"{Api}/articles?{StoreQuery}";
        const string invalid = "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST";
        await AssertMessage(await Send(HttpMethod.Post, url, token, new { articleId = "1" }), (HttpStatusCode)405, invalid);
        await AssertMessage(await Send(HttpMethod.Post, url, token, new object[] { new { articleId = "1" }, new { articleName = "no id" } }), (HttpStatusCode)405, invalid);
        await AssertMessage(await Send(HttpMethod.Post, url, token, Enumerable.Range(0, 501).Select(i => new { articleId = $"{i}" })), (HttpStatusCode)405, invalid);
        Assert.Empty(_aims.State.Articles(Company, Store));
    }

    [Fact]
    public async Task Post_replaces_the_whole_article_as_strings_and_put_merges()
    {
        var token = await Token();
        var url = $"{Api}/articles?{StoreQuery}";
        await Json(await Send(HttpMethod.Post, url, token, new[] { new { articleId = "101", articleName = "Dana", data = new Dictionary<string, object> { ["RANK"] = 5, ["TITLE"] = "Major" } } }), HttpStatusCode.OK);
        var stored = _aims.State.Article(Company, Store, "101")!;
        Assert.Equal("5", stored.Data["RANK"]);
        Assert.Equal(Store, stored.Data["STORE_ID"]); // AIMS fills the format's store key

        await Json(await Send(HttpMethod.Post, url, token, new[] { new { articleId = "101", data = new { RANK = "6" } } }), HttpStatusCode.OK);
        stored = _aims.State.Article(Company, Store, "101")!;
        Assert.Equal("", stored.ArticleName);
        Assert.False(stored.Data.ContainsKey("TITLE"));

        await Json(await Send(HttpMethod.Put, url, token, new[] { new { articleId = "101", articleName = "Dana L", data = new { TITLE = "Col" } } }), HttpStatusCode.OK);
        stored = _aims.State.Article(Company, Store, "101")!;
        Assert.Equal(("Dana L", "6", "Col"), (stored.ArticleName, stored.Data["RANK"], stored.Data["TITLE"]));
    }

    [Fact]
    public async Task Accepted_articles_become_visible_after_the_configured_delay()
    {
        var clock = new ManualClock();
        await StartAsync(options: new EmulatorOptions { Clock = clock, ArticleVisibilityDelay = TimeSpan.FromSeconds(30) });
        var token = await Token();
        await Json(await Send(HttpMethod.Post, $"{Api}/articles?{StoreQuery}", token, new[] { new { articleId = "1" } }), HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Get, $"{Api}/config/article/info?{StoreQuery}&page=0&size=500", token)).StatusCode);
        Assert.Equal(1, _aims.State.PendingArticleWrites(Company, Store));
        clock.Advance(TimeSpan.FromSeconds(30));
        await Json(await Send(HttpMethod.Get, $"{Api}/config/article/info?{StoreQuery}&page=0&size=500", token), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Format_is_returned_at_top_level_and_can_be_saved()
    {
        var token = await Token();
        var url = $"{Api}/articles/upload/format?company={Company}";
        var format = await Json(await Send(HttpMethod.Get, url, token), HttpStatusCode.OK);
        Assert.Equal("ITEM_NAME", (string?)format["mappingInfo"]!["articleName"]);
        Assert.Equal(";", (string?)format["delimeter"]);

        format["articleData"]!.AsArray().Add("FLOOR");
        await Json(await Send(HttpMethod.Post, url, token, format), HttpStatusCode.OK);
        var saved = await Json(await Send(HttpMethod.Get, url, token), HttpStatusCode.OK);
        Assert.Contains("FLOOR", saved["articleData"]!.AsArray().Select(n => (string?)n));
    }

    // ---- labels ----

    [Fact]
    public async Task Labels_honour_page_and_past_the_end_is_empty()
    {
        var token = await Token();
        var first = await Json(await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}&page=0&size=100", token), HttpStatusCode.OK);
        Assert.Equal(20, first["labelList"]!.AsArray().Count);
        var second = await Json(await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}&page=1&size=15", token), HttpStatusCode.OK);
        Assert.Equal("0470A1B2000F", (string?)second["labelList"]![0]!["labelCode"]);
        Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}&page=1&size=100", token)).StatusCode);

        _aims.State.Options.EmptyListAs204 = false;
        var empty = await Json(await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}&page=1&size=100", token), HttpStatusCode.OK);
        Assert.Empty(empty["labelList"]!.AsArray());
    }

    [Fact]
    public async Task Link_sets_both_sides_unlink_clears_and_relinking_moves_the_label()
    {
        var token = await Token();
        await PostArticles(token, "101", "102");
        const string label = "0470A1B20001";
        await Json(await Link(token, label, "101", template: "DEFAULT"), HttpStatusCode.OK);

        Assert.Equal([label], _aims.State.Article(Company, Store, "101")!.AssignedLabels);
        var row = (await Json(await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}&page=0&size=2", token), HttpStatusCode.OK))["labelList"]![1]!;
        Assert.Equal("101", (string?)row["articleList"]![0]!["articleId"]);
        Assert.Equal("DEFAULT", (string?)row["templateName"]![0]);
        var unassigned = (await Json(await Send(HttpMethod.Get, $"{Api}/labels/unassigned?{StoreQuery}", token), HttpStatusCode.OK))["labelList"]!.AsArray();
        Assert.Equal(19, unassigned.Count);
        Assert.DoesNotContain(label, unassigned.Select(r => (string?)r!["labelCode"]));

        await Json(await Link(token, label, "102"), HttpStatusCode.OK);
        Assert.Empty(_aims.State.Article(Company, Store, "101")!.AssignedLabels);
        Assert.Equal([label], _aims.State.Article(Company, Store, "102")!.AssignedLabels);

        await Json(await Send(HttpMethod.Post, $"{Api}/labels/unlink?{StoreQuery}", token, new { unAssignList = new[] { label } }), HttpStatusCode.OK);
        Assert.Empty(_aims.State.Label(Company, Store, label)!.ArticleIds);
        Assert.NotNull(_aims.State.Article(Company, Store, "102"));
    }

    [Fact]
    public async Task Link_to_an_unknown_label_or_article_is_405()
    {
        var token = await Token();
        await PostArticles(token, "101");
        var unknownLabel = await Json(await Link(token, "FFFFFFFFFFFF", "101"), (HttpStatusCode)405);
        Assert.Contains("FFFFFFFFFFFF", (string?)unknownLabel["responseMessage"]);
        await AssertMessage(await Link(token, "0470A1B20001", "nope"), (HttpStatusCode)405, "ARTICLE_ID_NOT_FOUND");
    }

    [Fact]
    public async Task Page_flip_is_validated_against_the_label_pages_and_shown_in_list_and_detail()
    {
        var token = await Token();
        // Label 0000 has 2 pages, 0001 has 1 (default seed: every third label has 2).
        await Json(await FlipPage(token, "0470A1B20000", 2), HttpStatusCode.OK);
        var detail = await Json(await Send(HttpMethod.Get, $"{Api}/labels/detail?{StoreQuery}&label=0470A1B20000", token), HttpStatusCode.OK);
        Assert.Equal(2, (int?)detail["activePage"]);
        var row = (await Json(await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}&page=0&size=1", token), HttpStatusCode.OK))["labelList"]![0]!;
        Assert.Equal(2, (int?)row["currentPage"]);

        await AssertMessage(await FlipPage(token, "0470A1B20001", 2), (HttpStatusCode)405, "PAGE_CAN_NOT_BE_GREATER_THAN_MAX_PAGES(1)");
        await Json(await FlipPage(token, "0470A1B20001", 0), (HttpStatusCode)405);
        Assert.Equal(1, _aims.State.Label(Company, Store, "0470A1B20001")!.CurrentPage);
    }

    [Fact]
    public async Task Delete_removes_articles_unlinks_their_labels_and_ignores_unknown_ids()
    {
        var token = await Token();
        await PostArticles(token, "101", "102");
        await Json(await Link(token, "0470A1B20002", "101"), HttpStatusCode.OK);

        await Json(await Send(HttpMethod.Delete, $"{Api}/articles?{StoreQuery}", token, new { articleDeleteList = new[] { "101", "unknown" } }), HttpStatusCode.OK);
        Assert.Equal(["102"], _aims.State.Articles(Company, Store).Select(a => a.ArticleId));
        Assert.Empty(_aims.State.Label(Company, Store, "0470A1B20002")!.ArticleIds);
        await Json(await Send(HttpMethod.Delete, $"{Api}/articles?{StoreQuery}", token, new[] { "102" }), (HttpStatusCode)405);
    }

    [Fact]
    public async Task Whitelist_mode_answers_200_with_a_whitelist_code_until_the_label_is_whitelisted()
    {
        await StartAsync(options: new EmulatorOptions { WhitelistMode = true });
        var token = await Token();
        await PostArticles(token, "101");

        var refused = await Json(await Link(token, "0470A1B20003", "101"), HttpStatusCode.OK);
        Assert.Equal("NOT_IN_WHITELIST", (string?)refused["responseCode"]);
        Assert.Contains("whitelist", (string?)refused["responseMessage"]);
        Assert.Empty(_aims.State.Label(Company, Store, "0470A1B20003")!.ArticleIds);

        await Json(await Send(HttpMethod.Post, $"{Api}/whitelist?{StoreQuery}", token, new { labelList = new[] { "0470A1B20003" } }), HttpStatusCode.OK);
        var linked = await Json(await Link(token, "0470A1B20003", "101"), HttpStatusCode.OK);
        Assert.Equal("200", (string?)linked["responseCode"]);
    }

    [Fact]
    public async Task The_c1_root_serves_the_same_api_and_a_company_can_be_bound_to_one_cluster()
    {
        var token = await Token();
        await Json(await Send(HttpMethod.Get, $"c1/{Api}/labels?{StoreQuery}&page=0&size=5", token), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsJsonAsync("c1/common/api/v2/token", new { username = EmulatorSeed.DefaultUsername, password = EmulatorSeed.DefaultPassword })).StatusCode);

        _aims.State.Seed(new EmulatorSeed { Companies = [new SeedCompany { Code = Company, Cluster = "c1" }] });
        await AssertMessage(await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}", token), HttpStatusCode.Forbidden, "COMPANY_NOT_FOUND");
        await Json(await Send(HttpMethod.Get, $"c1/{Api}/labels?{StoreQuery}", token), HttpStatusCode.OK);
    }

    // ---- faults ----

    [Fact]
    public async Task Failing_the_next_two_calls_gives_503_twice_then_success()
    {
        var token = await Token();
        _aims.Faults.FailNext("/labels", 2, 503);
        var url = $"{Api}/labels?{StoreQuery}";
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Send(HttpMethod.Get, url, token)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Send(HttpMethod.Get, url, token)).StatusCode);
        await Json(await Send(HttpMethod.Get, url, token), HttpStatusCode.OK);
        Assert.Equal(3, _aims.Count("GET", "/labels"));
        Assert.Equal([503, 503, 200], _aims.Requests.Snapshot().Where(r => r.Path.EndsWith("/labels")).Select(r => r.Status));
    }

    [Fact]
    public async Task Injected_429_carries_retry_after_and_403_defaults_to_license_expired()
    {
        var token = await Token();
        _aims.Faults.FailNext("", 1, 429, TimeSpan.FromSeconds(7));
        var limited = await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}", token);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), limited.Headers.RetryAfter?.Delta);

        _aims.Faults.FailNext("/articles", 1, 403);
        await AssertMessage(await Send(HttpMethod.Get, $"{Api}/articles?{StoreQuery}", token), HttpStatusCode.Forbidden, "LICENSE_EXPIRED");
    }

    [Fact]
    public async Task Delay_exceeds_a_client_timeout_and_drop_resets_the_connection()
    {
        var token = await Token();
        _aims.Faults.Delay("/labels", TimeSpan.FromSeconds(5));
        using var impatient = new HttpClient { BaseAddress = _aims.BaseUrl, Timeout = TimeSpan.FromMilliseconds(300) };
        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync($"{Api}/labels?{StoreQuery}"));

        _aims.Faults.DropNext("/labels");
        await Assert.ThrowsAsync<HttpRequestException>(() => Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}", token));
        await Json(await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}", token), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Malformed_body_and_expired_tokens_can_be_forced()
    {
        var token = await Token();
        _aims.Faults.MalformedNext("/labels");
        var malformed = await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}", token);
        await Assert.ThrowsAnyAsync<System.Text.Json.JsonException>(() => malformed.Content.ReadFromJsonAsync<JsonObject>());

        _aims.Faults.ExpireAllTokens();
        await AssertMessage(await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}", token), HttpStatusCode.Unauthorized, "Unauthorized: TOKEN_EXPIRED");
        await Json(await Send(HttpMethod.Get, $"{Api}/labels?{StoreQuery}", await Token()), HttpStatusCode.OK);
    }

    // ---- control over HTTP ----

    [Fact]
    public async Task Control_routes_seed_dump_fault_and_reset_over_http()
    {
        var seed = new EmulatorSeed
        {
            Accounts = [new SeedAccount { Username = "ops@acme.test", Password = "pw", Companies = ["ACME"] }],
            Companies = [new SeedCompany { Code = "ACME", Stores = [new SeedStore { Code = "S1", Labels = [new SeedLabel { Code = "ABCDEF000001", Pages = 7 }] }] }],
        };
        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsync("_emulator/seed", new StringContent(seed.ToJson(), System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        var token = await Token("ops@acme.test", "pw");
        await Json(await Send(HttpMethod.Get, $"{Api}/labels?company=ACME&store=S1", token), HttpStatusCode.OK);

        var state = await _http.GetFromJsonAsync<JsonObject>("_emulator/state");
        Assert.Contains("ACME", state!["companies"]!.AsArray().Select(c => (string?)c!["code"]));

        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsJsonAsync("_emulator/faults", new { route = "/store", status = 502, count = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, (await Send(HttpMethod.Get, $"{Api}/store?company=ACME", token)).StatusCode);
        var counters = await _http.GetFromJsonAsync<Dictionary<string, int>>("_emulator/counters");
        Assert.Equal(1, counters!["GET /common/api/v2/common/store"]);

        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsync("_emulator/reset", null)).StatusCode);
        Assert.Empty((await _http.GetFromJsonAsync<JsonArray>("_emulator/requests"))!);
        await Json(await Login("ops@acme.test", "pw"), HttpStatusCode.Unauthorized);
    }

    // ---- helpers ----

    private Task<HttpResponseMessage> Login(string username = EmulatorSeed.DefaultUsername, string password = EmulatorSeed.DefaultPassword) =>
        Post("common/api/v2/token", new { username, password });

    private async Task<string> Token(string username = EmulatorSeed.DefaultUsername, string password = EmulatorSeed.DefaultPassword) =>
        (string)(await Json(await Login(username, password), HttpStatusCode.OK))["responseMessage"]!["access_token"]!;

    private Task<HttpResponseMessage> Post(string path, object body) => _http.PostAsJsonAsync(path, body);

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        // Names as written: the web defaults would camel-case data keys such as RANK.
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: new System.Text.Json.JsonSerializerOptions());
        return _http.SendAsync(request);
    }

    private async Task PostArticles(string token, params string[] ids) =>
        await Json(await Send(HttpMethod.Post, $"{Api}/articles?{StoreQuery}", token, ids.Select(id => new { articleId = id, articleName = $"Name {id}" })), HttpStatusCode.OK);

    private Task<HttpResponseMessage> Link(string token, string label, string articleId, string? template = null) =>
        Send(HttpMethod.Post, $"{Api}/labels/link?{StoreQuery}", token,
            new { assignList = new[] { new { labelCode = label, articleIdList = new[] { articleId }, templateName = template } } });

    private Task<HttpResponseMessage> FlipPage(string token, string label, int page) =>
        Send(HttpMethod.Post, $"{Api}/labels/page?{StoreQuery}", token, new { pageChangeList = new[] { new { labelCode = label, page } } });

    private static async Task<JsonObject> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        var body = (JsonObject)JsonNode.Parse(text)!;
        Assert.IsType<string>((string?)body["responseCode"]);
        return body;
    }

    private static async Task AssertMessage(HttpResponseMessage response, HttpStatusCode expected, string message) =>
        Assert.Equal(message, (string?)(await Json(response, expected))["responseMessage"]);

    /// <summary>A clock the test moves by hand (token expiry, article visibility).</summary>
    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 8, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
