namespace ElectisSpace.Core.Aims;

/// <summary>An AIMS token pair; ExpiresAt = issue time + expires_in.</summary>
public sealed record AimsToken(string AccessToken, string? RefreshToken, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>An article as pushed (POST replaces the whole article). Data values are strings.</summary>
public sealed record AimsArticle(string ArticleId, string ArticleName, string NfcUrl, IReadOnlyDictionary<string, string> Data);

/// <summary>A row of GET /articles: a summary without data.</summary>
public sealed record AimsArticleSummary(string ArticleId, string? ArticleName, int LabelCount);

/// <summary>A row of GET /config/article/info: the full article with the labels linked to it.</summary>
public sealed record AimsArticleInfo(string ArticleId, string? ArticleName, string? NfcUrl,
    IReadOnlyDictionary<string, string> Data, IReadOnlyList<string> AssignedLabels)
{
    /// <summary>When AIMS last changed the article (its lastModified, UTC), if it said; newest-wins compares it.</summary>
    public DateTimeOffset? LastModified { get; init; }
}

/// <summary>A row of GET /labels. CurrentPage is 1 when AIMS does not say.</summary>
public sealed record AimsLabel(string LabelCode, IReadOnlyList<string> ArticleIds, int CurrentPage, string? Type,
    string? Battery, string? Signal, bool? NetworkStatus, string? UpdateStatus, IReadOnlyList<string> TemplateNames);

/// <summary>A row of GET /labels/unassigned.</summary>
public sealed record AimsUnassignedLabel(string LabelCode, string? LabelModel, string? Battery, string? Signal, bool? NetworkStatus);

/// <summary>GET /labels/detail: the page the label shows.</summary>
public sealed record AimsLabelDetail(string LabelCode, int ActivePage);

public sealed record AimsStore(string Code, string? Name, int? LabelCount, int? ArticleCount);

/// <summary>
/// The company's article format (GET articles/upload/format). MappingInfo names the data keys that mirror
/// articleId/articleName/nfcUrl/store (e.g. articleId → ARTICLE_ID); ArticleData lists the data keys AIMS knows.
/// </summary>
public sealed record AimsArticleFormat(IReadOnlyDictionary<string, string> MappingInfo, IReadOnlyList<string> ArticleData)
{
    public static readonly AimsArticleFormat None = new(new Dictionary<string, string>(), []);
    public string? Key(string basicField) => MappingInfo.TryGetValue(basicField, out var k) && k.Length > 0 ? k : null;
}

/// <summary>A liveness answer: Ok, or why not. Status strings are what the health endpoints show.</summary>
public sealed record AimsAliveResult(bool Up, int? HttpStatus, double LatencyMs, string? Error);

/// <summary>What AIMS said of one article POST: rows are validated after the answer, so InvalidCount may be known only later.</summary>
public sealed record AimsBatchResult(string? BatchId, int? ValidCount, int? InvalidCount);

/// <summary>A row AIMS dropped from a batch after accepting it (articles/validationerror/logs).</summary>
public sealed record AimsValidationError(string ArticleId, string? Error);
