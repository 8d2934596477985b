using System.Diagnostics;
using ElectisSpace.AimsEmulator;
using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Settings;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Article = ElectisSpace.Core.Aims.AimsArticle;

namespace ElectisSpace.Tests.Aims;

/// <summary>The AIMS client against the AIMS emulator over real HTTP: every method, paging, tokens, resilience.</summary>
public sealed class AimsClientTests : IAsyncLifetime
{
    private const string Company = EmulatorSeed.DefaultCompany;
    private const string Store = EmulatorSeed.DefaultStore;
    private const string TwoPageLabel = "0470A1B20000"; // the default seed gives every third label 2 pages
    private const string OnePageLabel = "0470A1B20001";

    private AimsEmulatorHost _aims = null!;
    private ServiceProvider _services = null!;
    private AimsClient _client = null!;
    private AimsConnection _conn = null!;

    public Task InitializeAsync() => StartAsync();

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _aims.DisposeAsync();
    }

    /// <summary>A fresh emulator and a fresh client (own token cache and circuit), fast retries unless a test says otherwise.</summary>
    private async Task StartAsync(EmulatorSeed? seed = null, EmulatorOptions? emulator = null, AimsOptions? options = null, AimsCluster cluster = AimsCluster.Common)
    {
        if (_aims is not null) await DisposeAsync();
        _aims = await AimsEmulatorHost.StartAsync(seed, emulator);
        _services = new ServiceCollection().AddLogging().AddSingleton(TimeProvider.System)
            .AddAimsClient(options ?? new AimsOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20), AttemptTimeout = TimeSpan.FromSeconds(5) })
            .BuildServiceProvider();
        _client = _services.GetRequiredService<AimsClient>();
        _conn = new AimsConnection(_aims.BaseUrl.ToString() + "common", cluster, Company, Store, EmulatorSeed.DefaultUsername, EmulatorSeed.DefaultPassword);
    }

    private static Article Art(string id, string name = "", params (string K, string V)[] data) =>
        new(id, name, "", data.ToDictionary(d => d.K, d => d.V));

    // ---- every method -----------------------------------------------------------------------------------------

    [Fact]
    public async Task Articles_are_upserted_listed_with_data_and_links_and_deleted()
    {
        await _client.UpsertArticlesAsync(_conn, [Art("101", "Dana Levi", ("ITEM_NAME", "Dana Levi"), ("RANK", "Major")), Art("C12", "Board Room")]);
        Assert.Equal("Major", _aims.State.Article(Company, Store, "101")!.Data["RANK"]);

        await _client.LinkLabelAsync(_conn, OnePageLabel, "101");
        var info = await _client.ListArticleInfoAsync(_conn);
        Assert.Equal(["101", "C12"], info.Select(a => a.ArticleId));
        Assert.Equal("Major", info[0].Data["RANK"]);
        Assert.Equal("Dana Levi", info[0].ArticleName);
        Assert.Equal([OnePageLabel], info[0].AssignedLabels);

        var summaries = await _client.ListArticlesAsync(_conn);
        Assert.Equal(["101", "C12"], summaries.Select(a => a.ArticleId));

        // POST replaces the whole article.
        await _client.UpsertArticlesAsync(_conn, [Art("101", "Dana Levi", ("TITLE", "Lead"))]);
        Assert.False(_aims.State.Article(Company, Store, "101")!.Data.ContainsKey("RANK"));

        await _client.DeleteArticlesAsync(_conn, ["101"]);
        Assert.Null(_aims.State.Article(Company, Store, "101"));
        Assert.Empty(_aims.State.Label(Company, Store, OnePageLabel)!.ArticleIds); // deleting unlinks
    }

    [Fact]
    public async Task Rows_AIMS_drops_after_accepting_a_batch_are_reported_by_batch()
    {
        await StartAsync(emulator: new EmulatorOptions { RejectArticleIdPattern = "^BAD" });
        var results = await _client.UpsertArticlesAsync(_conn, [Art("OK-1"), Art("BAD-1"), Art("OK-2")]);
        var batch = Assert.Single(results);
        Assert.Equal((2, 1), (batch.ValidCount, batch.InvalidCount));
        Assert.Equal(["OK-1", "OK-2"], (await _client.ListArticleInfoAsync(_conn)).Select(a => a.ArticleId));
        var dropped = Assert.Single(await _client.ListValidationErrorsAsync(_conn, batch.BatchId!));
        Assert.Equal("BAD-1", dropped.ArticleId);
        Assert.NotNull(dropped.Error);
    }

    [Fact]
    public async Task Labels_link_unlink_flip_and_detail()
    {
        await _client.UpsertArticlesAsync(_conn, [Art("C1", "Huddle")]);
        await _client.LinkLabelAsync(_conn, TwoPageLabel, "C1", templateName: "DEFAULT");
        var label = _aims.State.Label(Company, Store, TwoPageLabel)!;
        Assert.Equal(["C1"], label.ArticleIds);
        Assert.Equal("DEFAULT", label.TemplateName);

        var labels = await _client.ListLabelsAsync(_conn);
        Assert.Equal(EmulatorSeed.DefaultLabelCount, labels.Count);
        Assert.Equal(["C1"], labels.Single(l => l.LabelCode == TwoPageLabel).ArticleIds);
        var unassigned = await _client.ListUnassignedLabelsAsync(_conn);
        Assert.Equal(EmulatorSeed.DefaultLabelCount - 1, unassigned.Count);
        Assert.DoesNotContain(unassigned, l => l.LabelCode == TwoPageLabel);

        await _client.ChangePageAsync(_conn, [TwoPageLabel], 2);
        Assert.Equal(2, (await _client.GetLabelDetailAsync(_conn, TwoPageLabel))!.ActivePage);
        Assert.Equal(2, (await _client.ListLabelsAsync(_conn)).Single(l => l.LabelCode == TwoPageLabel).CurrentPage);

        await _client.UnlinkLabelsAsync(_conn, [TwoPageLabel]);
        Assert.Empty(_aims.State.Label(Company, Store, TwoPageLabel)!.ArticleIds);
        Assert.Equal(EmulatorSeed.DefaultLabelCount, (await _client.ListUnassignedLabelsAsync(_conn)).Count);
    }

    [Fact]
    public async Task Rejections_are_permanent_failures_carrying_the_AIMS_code_and_message_and_are_not_retried()
    {
        await _client.UpsertArticlesAsync(_conn, [Art("C1")]);
        await _client.LinkLabelAsync(_conn, OnePageLabel, "C1");
        var tooFar = await Assert.ThrowsAsync<AimsException>(() => _client.ChangePageAsync(_conn, [OnePageLabel], 2));
        Assert.Equal(AimsFailure.Rejected, tooFar.Failure);
        Assert.False(tooFar.IsRetryable);
        Assert.Equal(405, tooFar.HttpStatus);
        Assert.Equal("PAGE_CAN_NOT_BE_GREATER_THAN_MAX_PAGES(1)", tooFar.ResponseMessage);
        Assert.Equal(1, _aims.Count("POST", "/labels/page"));

        var unknownArticle = await Assert.ThrowsAsync<AimsException>(() => _client.LinkLabelAsync(_conn, OnePageLabel, "NOPE"));
        Assert.Equal("ARTICLE_ID_NOT_FOUND", unknownArticle.ResponseMessage);

        var badStore = await Assert.ThrowsAsync<AimsException>(() => _client.ListLabelsAsync(_conn with { Store = "999" }));
        Assert.Equal((AimsFailure.Rejected, "STORE_CODE_NOT_FOUND"), (badStore.Failure, badStore.ResponseMessage));
    }

    [Fact]
    public async Task Stores_and_article_format_are_read()
    {
        var stores = await _client.ListStoresAsync(_conn);
        Assert.Equal(Store, Assert.Single(stores).Code);
        var format = await _client.GetArticleFormatAsync(_conn);
        Assert.Equal("ARTICLE_ID", format.Key("articleId"));
        Assert.Equal("ITEM_NAME", format.Key("articleName"));
        Assert.Contains("RANK", format.ArticleData);
    }

    [Fact]
    public async Task The_c1_cluster_goes_through_the_c1_root()
    {
        await StartAsync(cluster: AimsCluster.C1);
        await _client.UpsertArticlesAsync(_conn, [Art("S1")]);
        Assert.Equal(["S1"], (await _client.ListArticleInfoAsync(_conn)).Select(a => a.ArticleId));
        Assert.All(_aims.Requests.Snapshot(), r => Assert.StartsWith("/c1/common/api/v2/", r.Path));
    }

    [Fact]
    public async Task A_label_AIMS_wants_whitelisted_is_whitelisted_and_linked()
    {
        await StartAsync(emulator: new EmulatorOptions { WhitelistMode = true });
        await _client.UpsertArticlesAsync(_conn, [Art("S1")]);
        await _client.LinkLabelAsync(_conn, OnePageLabel, "S1");
        Assert.Equal(["S1"], _aims.State.Label(Company, Store, OnePageLabel)!.ArticleIds);
        Assert.Equal(1, _aims.Count("POST", "/whitelist"));
        Assert.Equal(2, _aims.Count("POST", "/labels/link"));
    }

    // ---- paging -----------------------------------------------------------------------------------------------

    [Fact]
    public async Task Paging_reads_every_one_of_1200_articles_and_every_label()
    {
        var seed = EmulatorSeed.CreateDefault(labelCount: 250);
        await StartAsync(seed);
        var articles = Enumerable.Range(1, 1200).Select(i => Art($"A{i:D5}", $"Person {i}", ("RANK", i.ToString()))).ToList();
        await _client.UpsertArticlesAsync(_conn, articles);
        Assert.Equal(3, _aims.Count("POST", "/common/articles")); // 500 + 500 + 200

        var info = await _client.ListArticleInfoAsync(_conn);
        Assert.Equal(articles.Select(a => a.ArticleId), info.Select(a => a.ArticleId));
        Assert.Equal("1200", info[^1].Data["RANK"]);
        Assert.Equal(3, _aims.Count("GET", "/config/article/info")); // 500, 500, 200 (short page ends)

        Assert.Equal(1200, (await _client.ListArticlesAsync(_conn)).Select(a => a.ArticleId).Distinct().Count());
        Assert.Equal(13, _aims.Count("GET", "/common/articles")); // 12 full pages of 100, then an empty one

        var labels = await _client.ListLabelsAsync(_conn);
        Assert.Equal(250, labels.Select(l => l.LabelCode).Distinct().Count());
        Assert.Equal(4, _aims.Count("GET", "/common/labels")); // 100, 100, 50, empty: only an empty page ends
    }

    // ---- tokens -----------------------------------------------------------------------------------------------

    [Fact]
    public async Task One_login_serves_many_calls_and_bad_credentials_are_unauthorized()
    {
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => _client.ListStoresAsync(_conn)));
        Assert.Equal(1, _aims.Count("POST", "/api/v2/token")); // single flight

        var bad = await Assert.ThrowsAsync<AimsException>(() => _client.ListStoresAsync(_conn with { Username = "other@demo.local", Password = "nope" }));
        Assert.Equal(AimsFailure.Unauthorized, bad.Failure);
        Assert.False(bad.IsRetryable);
    }

    [Fact]
    public async Task A_token_near_expiry_is_refreshed_not_replaced_by_a_login()
    {
        await StartAsync(emulator: new EmulatorOptions { TokenLifetime = TimeSpan.FromSeconds(2) });
        await _client.ListStoresAsync(_conn);
        await Task.Delay(TimeSpan.FromMilliseconds(1200)); // past half the lifetime
        await _client.ListStoresAsync(_conn);
        Assert.Equal(1, _aims.Count("POST", "/token/refresh"));
        Assert.Equal(2, _aims.Count("GET", "/common/store"));
        Assert.Equal(0, _aims.Requests.Snapshot().Count(r => r.Status == 401));
    }

    [Fact]
    public async Task A_401_drops_the_token_logs_in_again_and_retries_once()
    {
        await _client.ListStoresAsync(_conn);
        _aims.Faults.ExpireAllTokens();
        Assert.Single(await _client.ListStoresAsync(_conn));
        Assert.Equal(2, _aims.Requests.Snapshot().Count(r => r.Method == "POST" && r.Path.EndsWith("/api/v2/token")));
        Assert.Equal(1, _aims.Requests.Snapshot().Count(r => r.Status == 401));
    }

    [Fact]
    public async Task A_licence_403_after_a_fresh_login_is_a_permanent_forbidden()
    {
        _aims.Faults.FailNext("/common/store", 2, 403);
        var e = await Assert.ThrowsAsync<AimsException>(() => _client.ListStoresAsync(_conn));
        Assert.Equal((AimsFailure.Forbidden, "LICENSE_EXPIRED"), (e.Failure, e.ResponseMessage));
        Assert.False(e.IsRetryable);
        Assert.Equal(2, _aims.Count("GET", "/common/store")); // the original and one retry after re-login
    }

    // ---- resilience -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task Server_errors_are_retried_until_AIMS_answers(int status)
    {
        _aims.Faults.FailNext("/common/store", 2, status);
        Assert.Single(await _client.ListStoresAsync(_conn));
        Assert.Equal(3, _aims.Count("GET", "/common/store"));
    }

    [Fact]
    public async Task Retries_give_up_after_the_configured_count_with_a_retryable_failure()
    {
        _aims.Faults.FailNext("/common/store", 10, 503);
        var e = await Assert.ThrowsAsync<AimsException>(() => _client.ListStoresAsync(_conn));
        Assert.Equal((AimsFailure.ServerError, 503), (e.Failure, e.HttpStatus));
        Assert.True(e.IsRetryable);
        Assert.Equal(4, _aims.Count("GET", "/common/store")); // 1 + MaxRetries (3)
    }

    [Fact]
    public async Task A_429_is_retried_after_the_Retry_After_it_names()
    {
        _aims.Faults.FailNext("/common/store", 1, 429, retryAfter: TimeSpan.FromSeconds(1));
        var sw = Stopwatch.StartNew();
        Assert.Single(await _client.ListStoresAsync(_conn));
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {sw.ElapsedMilliseconds} ms, before Retry-After (base delay is 20 ms)");
        Assert.Equal(2, _aims.Count("GET", "/common/store"));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(405)]
    public async Task Other_4xx_are_not_retried(int status)
    {
        _aims.Faults.FailNext("/common/store", 5, status);
        var e = await Assert.ThrowsAsync<AimsException>(() => _client.ListStoresAsync(_conn));
        Assert.Equal((AimsFailure.Rejected, status), (e.Failure, e.HttpStatus));
        Assert.Equal(1, _aims.Count("GET", "/common/store"));
    }

    [Fact]
    public async Task A_dropped_connection_is_retried()
    {
        _aims.Faults.DropNext("/common/store", 1);
        Assert.Single(await _client.ListStoresAsync(_conn));
        Assert.Equal(2, _aims.Count("GET", "/common/store"));
    }

    [Fact]
    public async Task An_attempt_past_the_timeout_is_abandoned_and_retried()
    {
        // 3 s, not 1 s: on a loaded machine the login itself can take over a second, and timed-out logins would open
        // the circuit before the store calls this test is about. The token is fetched first for the same reason.
        await StartAsync(options: new AimsOptions { AttemptTimeout = TimeSpan.FromSeconds(3), MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(20) });
        Assert.Single(await _client.ListStoresAsync(_conn));
        _aims.Faults.Delay("/common/store", TimeSpan.FromSeconds(30), count: 1);
        var sw = Stopwatch.StartNew();
        Assert.Single(await _client.ListStoresAsync(_conn));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}");

        _aims.Faults.Delay("/common/store", TimeSpan.FromSeconds(30), count: 2);
        var e = await Assert.ThrowsAsync<AimsException>(() => _client.ListStoresAsync(_conn));
        Assert.Equal(AimsFailure.Unreachable, e.Failure);
        Assert.True(e.IsRetryable);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_closes_after_the_break()
    {
        await StartAsync(options: new AimsOptions { MaxRetries = 0, CircuitBreakDuration = TimeSpan.FromSeconds(1) });
        await _client.ListStoresAsync(_conn); // token first, so only store calls fail below
        _aims.Faults.FailNext("/common/store", 1000, 503);

        var failures = new List<AimsFailure>();
        for (var i = 0; i < 8; i++)
            failures.Add((await Assert.ThrowsAsync<AimsException>(() => _client.ListStoresAsync(_conn))).Failure);
        Assert.Contains(AimsFailure.ServerError, failures);
        Assert.Equal(AimsFailure.CircuitOpen, failures[^1]);
        var sent = _aims.Count("GET", "/common/store");
        Assert.True(sent < 1 + 8, $"the open circuit should stop calls reaching AIMS; {sent} arrived");
        await Assert.ThrowsAsync<AimsException>(() => _client.ListStoresAsync(_conn));
        Assert.Equal(sent, _aims.Count("GET", "/common/store"));

        _aims.Faults.Clear();
        await Task.Delay(TimeSpan.FromMilliseconds(1300));
        Assert.Single(await _client.ListStoresAsync(_conn)); // half-open probe succeeds: closed again
        Assert.Single(await _client.ListStoresAsync(_conn));
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_an_invalid_response()
    {
        _aims.Faults.MalformedNext("/common/store", 1);
        var e = await Assert.ThrowsAsync<AimsException>(() => _client.ListStoresAsync(_conn));
        Assert.Equal(AimsFailure.InvalidResponse, e.Failure);
    }

    [Fact]
    public async Task Alive_is_up_when_AIMS_answers_and_down_when_nothing_listens()
    {
        var up = await _client.CheckAliveAsync(AimsUrls.Root(_conn.BaseUrl, AimsCluster.Common));
        Assert.True(up.Up);
        Assert.Equal(405, up.HttpStatus);

        var down = await _client.CheckAliveAsync($"http://127.0.0.1:{FreePorts.Next()}"); // nothing listens there
        Assert.False(down.Up);
        Assert.NotNull(down.Error);
    }
}
