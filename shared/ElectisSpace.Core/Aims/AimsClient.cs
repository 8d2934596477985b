using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace ElectisSpace.Core.Aims;

/// <summary>
/// The one way the server talks to SoluM AIMS (AIMS_API.md). Every method takes the organization's connection; tokens
/// are cached per account and company; a 401/403 drops the token, logs in again and retries once. Failures surface as
/// <see cref="AimsException"/> classified retryable or permanent. Retries, backoff, timeouts and the circuit breaker
/// live in the HTTP pipeline (<see cref="AimsResilience"/>).
/// </summary>
public sealed class AimsClient(IHttpClientFactory http, AimsTokenCache tokens, TimeProvider time, ILogger<AimsClient> log)
{
    /// <summary>Articles per POST/DELETE: the electisSpace client's limit ("AIMS enforces a maximum of 500").</summary>
    public const int ArticleBatchSize = 500;

    private static readonly HashSet<string> ArticleTopLevel =
        ["articleId", "article_id", "articleName", "article_name", "nfcUrl", "assignedLabel", "store", "generateDate", "lastModified",
         "lastUpdated", "labelCount", "EANs", "eans", "responseCode", "responseMessage"];

    // ---- tokens ----------------------------------------------------------------------------------------------

    /// <summary>Logs in with the connection's account (also how "test connection" works). Caches the token.</summary>
    public async Task<AimsToken> LoginAsync(AimsConnection conn, CancellationToken ct = default)
    {
        var token = await RequestTokenAsync(AimsUrls.Token(conn.Root), new { username = conn.Username, password = conn.Password }, ct);
        tokens.Store(conn.TokenKey, token);
        return token;
    }

    /// <summary>Exchanges a refresh token for a new pair (AIMS rotates it). Caches the result.</summary>
    public async Task<AimsToken> RefreshAsync(AimsConnection conn, string refreshToken, CancellationToken ct = default)
    {
        var token = await RequestTokenAsync(AimsUrls.TokenRefresh(conn.Root), new { refreshToken }, ct);
        tokens.Store(conn.TokenKey, token);
        return token;
    }

    /// <summary>A usable token: the cached one, else a refresh, else a full login.</summary>
    public async Task<AimsToken> GetTokenAsync(AimsConnection conn, CancellationToken ct = default)
    {
        if (tokens.Fresh(conn.TokenKey) is { } fresh) return fresh;
        using var _ = await tokens.LockAsync(conn.TokenKey, ct);
        if (tokens.Fresh(conn.TokenKey) is { } renewed) return renewed; // another caller did it while we waited
        if (tokens.Cached(conn.TokenKey)?.RefreshToken is { } refresh)
        {
            try { return await RefreshAsync(conn, refresh, ct); }
            catch (AimsException e) when (e.Failure is AimsFailure.Unauthorized or AimsFailure.Rejected)
            {
                log.LogInformation("AIMS refresh token refused for {Company}; logging in again", conn.Company);
            }
        }
        return await LoginAsync(conn, ct);
    }

    private async Task<AimsToken> RequestTokenAsync(string url, object body, CancellationToken ct)
    {
        var issuedAt = time.GetUtcNow();
        var root = await SendAsync(HttpMethod.Post, url, body, accessToken: null, ct)
            ?? throw new AimsException(AimsFailure.InvalidResponse, "AIMS answered the token request with no body.");
        var payload = AimsJson.Payload(root);
        var access = AimsJson.Str(payload, "access_token", "accessToken")
            ?? throw new AimsException(AimsFailure.InvalidResponse, "AIMS token answer has no access_token.");
        var lifetime = AimsJson.Int(payload, "expires_in", "expiresIn") is > 0 and var s ? s : 3600;
        return new AimsToken(access, AimsJson.Str(payload, "refresh_token", "refreshToken"), issuedAt, issuedAt.AddSeconds(lifetime));
    }

    // ---- articles --------------------------------------------------------------------------------------------

    /// <summary>All article summaries (GET /articles: size 100, stops on a short page, at most 50 pages as the client does).</summary>
    public async Task<IReadOnlyList<AimsArticleSummary>> ListArticlesAsync(AimsConnection conn, CancellationToken ct = default) =>
        (await PagesAsync(conn, "articles", "articleList", size: 100, maxPages: 50, stopOnShortPage: true, ct))
            .Select(r => new AimsArticleSummary(AimsJson.Str(r, "articleId", "article_id") ?? "", AimsJson.Str(r, "articleName", "article_name"),
                AimsJson.Int(r, "labelCount") ?? 0))
            .Where(a => a.ArticleId.Length > 0).ToList();

    /// <summary>Every article with its data and linked labels (GET /config/article/info: size 500, short page ends, at most 100 pages).</summary>
    public async Task<IReadOnlyList<AimsArticleInfo>> ListArticleInfoAsync(AimsConnection conn, CancellationToken ct = default) =>
        (await PagesAsync(conn, "config/article/info", "articleList", size: 500, maxPages: 100, stopOnShortPage: true, ct))
            .Select(r => new AimsArticleInfo(AimsJson.Str(r, "articleId", "article_id") ?? "", AimsJson.Str(r, "articleName", "article_name"),
                AimsJson.Str(r, "nfcUrl"), AimsJson.Data(r, ArticleTopLevel), AimsJson.Strings(r, "assignedLabel", "labelCode"))
                { LastModified = AimsJson.Time(r, "lastModified", "lastUpdated") })
            .Where(a => a.ArticleId.Length > 0).ToList();

    /// <summary>
    /// Creates or replaces articles, in POSTs of at most 500. AIMS validates rows after answering, so a 2xx does not
    /// prove every article landed: the batch ids let a caller read the validation-error log, and a re-read repairs.
    /// </summary>
    public async Task<IReadOnlyList<AimsBatchResult>> UpsertArticlesAsync(AimsConnection conn, IReadOnlyList<AimsArticle> articles, CancellationToken ct = default)
    {
        var results = new List<AimsBatchResult>();
        foreach (var batch in articles.Chunk(ArticleBatchSize))
        {
            var answer = await CallAsync(conn, HttpMethod.Post, AimsUrls.Business(conn, "articles"),
                batch.Select(a => new { articleId = a.ArticleId, articleName = a.ArticleName, nfcUrl = a.NfcUrl, data = a.Data }).ToArray(), ct);
            var payload = answer is { } a ? AimsJson.Payload(a) : default;
            results.Add(new AimsBatchResult(AimsJson.Str(payload, "customBatchId", "batchId"), AimsJson.Int(payload, "validCount"), AimsJson.Int(payload, "invalidCount")));
        }
        return results;
    }

    /// <summary>The rows AIMS dropped from an accepted batch (articles/validationerror/logs).</summary>
    public async Task<IReadOnlyList<AimsValidationError>> ListValidationErrorsAsync(AimsConnection conn, string batchId, CancellationToken ct = default) =>
        AimsJson.Rows(await CallAsync(conn, HttpMethod.Get, AimsUrls.Business(conn, "articles/validationerror/logs", query: ("inputBatchId", batchId)), null, ct),
                "validationErrorList")
            .Select(r => new AimsValidationError(AimsJson.Str(r, "articleId", "article_id") ?? "", AimsJson.Str(r, "errorText", "errorMessage", "reason")))
            .Where(e => e.ArticleId.Length > 0).ToList();

    /// <summary>Deletes articles by id (DELETE with a body), in batches of 500.</summary>
    public async Task DeleteArticlesAsync(AimsConnection conn, IReadOnlyList<string> articleIds, CancellationToken ct = default)
    {
        foreach (var batch in articleIds.Chunk(ArticleBatchSize))
            await CallAsync(conn, HttpMethod.Delete, AimsUrls.Business(conn, "articles"), new { articleDeleteList = batch }, ct);
    }

    /// <summary>The company's article format (which data keys mirror articleId/articleName, which keys exist).</summary>
    public async Task<AimsArticleFormat> GetArticleFormatAsync(AimsConnection conn, CancellationToken ct = default)
    {
        var root = await CallAsync(conn, HttpMethod.Get, AimsUrls.Business(conn, "articles/upload/format", withStore: false), null, ct);
        if (root is null) return AimsArticleFormat.None;
        var format = AimsJson.Payload(root.Value);
        var mapping = new Dictionary<string, string>();
        if (format.TryGetProperty("mappingInfo", out var m) && m.ValueKind == JsonValueKind.Object)
            foreach (var p in m.EnumerateObject())
                if (AimsJson.Text(p.Value) is { Length: > 0 } key) mapping[p.Name] = key;
        return new AimsArticleFormat(mapping, AimsJson.Strings(format, "articleData"));
    }

    // ---- labels ----------------------------------------------------------------------------------------------

    /// <summary>All labels (GET /labels: size 100, only an empty page ends, at most 101 pages).</summary>
    public async Task<IReadOnlyList<AimsLabel>> ListLabelsAsync(AimsConnection conn, CancellationToken ct = default) =>
        (await PagesAsync(conn, "labels", "labelList", size: 100, maxPages: 101, stopOnShortPage: false, ct))
            .Select(r => new AimsLabel(AimsJson.Str(r, "labelCode", "label_code") ?? "", AimsJson.Strings(r, "articleList", "articleId"),
                AimsJson.Int(r, "currentPage") ?? 1, AimsJson.Str(r, "type"), AimsJson.Str(r, "battery"), AimsJson.Str(r, "signal"),
                AimsJson.Bool(r, "networkStatus"), AimsJson.Str(r, "updateStatus"), AimsJson.Strings(r, "templateName")))
            .Where(l => l.LabelCode.Length > 0).ToList();

    /// <summary>Labels with no article (GET /labels/unassigned; AIMS answers 204 when there are none).</summary>
    public async Task<IReadOnlyList<AimsUnassignedLabel>> ListUnassignedLabelsAsync(AimsConnection conn, CancellationToken ct = default) =>
        AimsJson.Rows(await CallAsync(conn, HttpMethod.Get, AimsUrls.Business(conn, "labels/unassigned"), null, ct), "labelList")
            .Select(r => new AimsUnassignedLabel(AimsJson.Str(r, "labelCode", "label_code") ?? "", AimsJson.Str(r, "labelModel", "type"),
                AimsJson.Str(r, "battery"), AimsJson.Str(r, "signal"), AimsJson.Bool(r, "networkStatus")))
            .Where(l => l.LabelCode.Length > 0).ToList();

    /// <summary>The page a label shows (GET /labels/detail), or null when AIMS does not know the label.</summary>
    public async Task<AimsLabelDetail?> GetLabelDetailAsync(AimsConnection conn, string labelCode, CancellationToken ct = default)
    {
        var root = await CallAsync(conn, HttpMethod.Get, AimsUrls.Business(conn, "labels/detail", query: ("label", labelCode)), null, ct);
        if (root is null) return null;
        var payload = AimsJson.Payload(root.Value);
        var row = AimsJson.Rows(root, "labelList") is [var first, ..] ? first : payload;
        return new AimsLabelDetail(AimsJson.Str(row, "labelCode") ?? labelCode, AimsJson.Int(row, "activePage", "currentPage") ?? 1);
    }

    /// <summary>
    /// Links a label to an article (templateName only when the user chose one). A 2xx carrying a failure responseCode
    /// is a failure; when it mentions the whitelist, the label is whitelisted and the link tried once more (as the client does).
    /// </summary>
    public async Task LinkLabelAsync(AimsConnection conn, string labelCode, string articleId, string? templateName = null, CancellationToken ct = default)
    {
        var body = new { assignList = new[] { templateName is { Length: > 0 }
            ? (object)new { labelCode, articleIdList = new[] { articleId }, templateName }
            : new { labelCode, articleIdList = new[] { articleId } } } };
        var url = AimsUrls.Business(conn, "labels/link");
        var answer = await CallAsync(conn, HttpMethod.Post, url, body, ct);
        if (LinkRefusal(answer) is not { } refusal) return;
        if (!refusal.Mentions("whitelist")) throw refusal.Exception(labelCode);
        log.LogInformation("AIMS wants label {Label} whitelisted before linking; whitelisting and retrying once", labelCode);
        await CallAsync(conn, HttpMethod.Post, AimsUrls.Business(conn, "whitelist"), new { labelList = new[] { labelCode } }, ct);
        if (LinkRefusal(await CallAsync(conn, HttpMethod.Post, url, body, ct)) is { } again) throw again.Exception(labelCode);
    }

    /// <summary>Unlinks labels from whatever article they show (the articles stay).</summary>
    public Task UnlinkLabelsAsync(AimsConnection conn, IReadOnlyList<string> labelCodes, CancellationToken ct = default) =>
        CallAsync(conn, HttpMethod.Post, AimsUrls.Business(conn, "labels/unlink"), new { unAssignList = labelCodes }, ct);

    /// <summary>Shows page 1..7 on the labels (conference: 1 available, 2 meeting). Too few pages on a label is a Rejected failure.</summary>
    public Task ChangePageAsync(AimsConnection conn, IReadOnlyList<string> labelCodes, int page, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(page, 7);
        return CallAsync(conn, HttpMethod.Post, AimsUrls.Business(conn, "labels/page"),
            new { pageChangeList = labelCodes.Select(labelCode => new { labelCode, page }).ToArray() }, ct);
    }

    // ---- stores ----------------------------------------------------------------------------------------------

    /// <summary>The company's stores (GET /store?company=).</summary>
    public async Task<IReadOnlyList<AimsStore>> ListStoresAsync(AimsConnection conn, CancellationToken ct = default) =>
        AimsJson.Rows(await CallAsync(conn, HttpMethod.Get, AimsUrls.Business(conn, "store", withStore: false), null, ct), "stores")
            .Select(r => new AimsStore(AimsJson.Str(r, "store", "storeCode", "code") ?? "", AimsJson.Str(r, "storeName", "name"),
                AimsJson.Int(r, "labelCount"), AimsJson.Int(r, "articleCount")))
            .Where(s => s.Code.Length > 0).ToList();

    // ---- alive -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Credential-free reachability (AIMS_API §9): HEAD on the token path. Any answer from 200 to 499 (typically 405) means
    /// AIMS is up; a network error, timeout or 5xx means down.
    /// </summary>
    public async Task<AimsAliveResult> CheckAliveAsync(string root, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            using var res = await http.CreateClient(AimsResilience.AliveHttpClientName)
                .SendAsync(new HttpRequestMessage(HttpMethod.Head, AimsUrls.Token(root)), ct);
            var status = (int)res.StatusCode;
            return new AimsAliveResult(status < 500, status, Elapsed(sw), status < 500 ? null : $"AIMS answered {status}.");
        }
        catch (Exception e) when (e is HttpRequestException || e is TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new AimsAliveResult(false, null, Elapsed(sw), e is TaskCanceledException ? "AIMS did not answer in time." : "AIMS is unreachable.");
        }
    }

    private static double Elapsed(Stopwatch sw) => Math.Round(sw.Elapsed.TotalMilliseconds, 1);

    // ---- plumbing --------------------------------------------------------------------------------------------

    private async Task<List<JsonElement>> PagesAsync(AimsConnection conn, string path, string listKey, int size, int maxPages,
        bool stopOnShortPage, CancellationToken ct)
    {
        var rows = new List<JsonElement>();
        for (var page = 0; page < maxPages; page++)
        {
            var url = AimsUrls.Business(conn, path, query: [("page", page.ToString()), ("size", size.ToString())]);
            var pageRows = AimsJson.Rows(await CallAsync(conn, HttpMethod.Get, url, null, ct), listKey);
            rows.AddRange(pageRows);
            if (pageRows.Count == 0 || stopOnShortPage && pageRows.Count < size) return rows;
        }
        log.LogWarning("AIMS {Path} for {Company}/{Store} still had rows after {Pages} pages; stopped there", path, conn.Company, conn.Store, maxPages);
        return rows;
    }

    /// <summary>An authorized call: on 401/403 the token is dropped, a fresh login made, and the call retried once.</summary>
    private async Task<JsonElement?> CallAsync(AimsConnection conn, HttpMethod method, string url, object? body, CancellationToken ct)
    {
        var token = await GetTokenAsync(conn, ct);
        try
        {
            return await SendAsync(method, url, body, token.AccessToken, ct);
        }
        catch (AimsException e) when (e.Failure is AimsFailure.Unauthorized or AimsFailure.Forbidden)
        {
            log.LogInformation("AIMS refused the token for {Company} ({Status} {Message}); logging in again", conn.Company, e.HttpStatus, e.ResponseMessage);
            tokens.Invalidate(conn.TokenKey, token);
            var fresh = await LoginAsync(conn, ct);
            return await SendAsync(method, url, body, fresh.AccessToken, ct);
        }
    }

    /// <summary>One request through the resilience pipeline; answers the JSON body (null for 204/empty) or throws classified.</summary>
    private async Task<JsonElement?> SendAsync(HttpMethod method, string url, object? body, string? accessToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        if (accessToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        // Bytes, not a stream: the retry strategy may send the same request content again.
        if (body is not null) request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, Json.Options))
            { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        try
        {
            using var response = await http.CreateClient(AimsResilience.HttpClientName).SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonElement? root = null;
            if (text.Length > 0)
            {
                try { root = JsonDocument.Parse(text).RootElement.Clone(); }
                catch (JsonException) when (!response.IsSuccessStatusCode) { /* an HTML error page: classified by status below */ }
                catch (JsonException e)
                {
                    throw new AimsException(AimsFailure.InvalidResponse, $"AIMS answered {(int)response.StatusCode} with a body that is not JSON.", (int)response.StatusCode, inner: e);
                }
            }
            if (response.IsSuccessStatusCode) return root;
            throw Classify(response, root);
        }
        catch (BrokenCircuitException e)
        {
            throw new AimsException(AimsFailure.CircuitOpen, "AIMS failed repeatedly; calls are paused until the circuit closes.",
                retryAfter: e.RetryAfter, inner: e);
        }
        catch (TimeoutRejectedException e)
        {
            throw new AimsException(AimsFailure.Unreachable, "AIMS did not answer in time.", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new AimsException(AimsFailure.Unreachable, $"AIMS is unreachable: {e.Message}", inner: e);
        }
    }

    private static AimsException Classify(HttpResponseMessage response, JsonElement? root)
    {
        var status = (int)response.StatusCode;
        var code = AimsJson.ResponseCode(root);
        var message = AimsJson.ResponseMessage(root);
        var failure = response.StatusCode switch
        {
            HttpStatusCode.TooManyRequests => AimsFailure.RateLimited,
            HttpStatusCode.Unauthorized => AimsFailure.Unauthorized,
            HttpStatusCode.Forbidden => AimsFailure.Forbidden,
            _ when status >= 500 || response.StatusCode == HttpStatusCode.RequestTimeout => AimsFailure.ServerError,
            _ => AimsFailure.Rejected,
        };
        var retryAfter = response.Headers.RetryAfter is { } ra ? ra.Delta ?? (ra.Date - DateTimeOffset.UtcNow) : null;
        return new AimsException(failure, $"AIMS answered {status}{(message is null ? "" : $": {message}")}.", status, code, message, retryAfter);
    }

    private static LinkFailure? LinkRefusal(JsonElement? answer)
    {
        var code = AimsJson.ResponseCode(answer);
        return AimsJson.IsSuccessCode(code) ? null : new LinkFailure(code!, AimsJson.ResponseMessage(answer));
    }

    private sealed record LinkFailure(string Code, string? Message)
    {
        public bool Mentions(string word) =>
            Code.Contains(word, StringComparison.OrdinalIgnoreCase) || Message?.Contains(word, StringComparison.OrdinalIgnoreCase) == true;
        public AimsException Exception(string labelCode) => new(AimsFailure.Rejected,
            $"AIMS refused to link label {labelCode}: {Code} {Message}".TrimEnd() + ".", 200, Code, Message);
    }
}
