using System.Text.Json.Nodes;

namespace ElectisSpace.AimsEmulator;

/// <summary>articles (GET/POST/PUT/DELETE), config/article/info and articles/upload/format.</summary>
internal static class ArticleEndpoints
{
    public static void Map(RouteGroupBuilder common, EmulatorState state)
    {
        common.MapGet("/articles", (HttpContext ctx) => AimsRequest.ForStore(ctx, state, (_, store) =>
            ArticlePage(ctx, state, store, a => new JsonObject
            {
                ["articleId"] = a.ArticleId,
                ["articleName"] = a.ArticleName,
                ["nfcUrl"] = a.NfcUrl,
                ["labelCount"] = store.LabelsOf(a.ArticleId).Count(),
                ["EANs"] = new JsonArray(),
                ["generateDate"] = AimsRequest.FormatDate(a.GenerateDate),
                ["lastUpdated"] = AimsRequest.FormatDate(a.LastModified),
            })));

        common.MapGet("/config/article/info", (HttpContext ctx) => AimsRequest.ForStore(ctx, state, (_, store) =>
            ArticlePage(ctx, state, store, a => new JsonObject
            {
                ["articleId"] = a.ArticleId,
                ["articleName"] = a.ArticleName,
                ["nfcUrl"] = a.NfcUrl,
                ["store"] = store.Code,
                ["data"] = new JsonObject([.. a.Data.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
                ["assignedLabel"] = new JsonArray([.. store.LabelsOf(a.ArticleId).Select(c => (JsonNode)c)]),
                ["generateDate"] = AimsRequest.FormatDate(a.GenerateDate),
                ["lastModified"] = AimsRequest.FormatDate(a.LastModified),
            })));

        // Typed as Func so Map does not bind them as a RequestDelegate, which would discard the IResult.
        Func<HttpContext, Task<IResult>> replaceArticles = ctx => WriteArticles(ctx, state, replace: true);
        Func<HttpContext, Task<IResult>> mergeArticles = ctx => WriteArticles(ctx, state, replace: false);
        common.MapPost("/articles", replaceArticles);
        common.MapPut("/articles", mergeArticles);

        common.MapDelete("/articles", async (HttpContext ctx) =>
        {
            var ids = AimsRequest.StringList(await AimsRequest.ReadJsonAsync(ctx), "articleDeleteList");
            return AimsRequest.ForStore(ctx, state, (_, store) =>
            {
                if (ids is null) return AimsEnvelope.InvalidBody();
                // Unknown ids are ignored; deleting unlinks the labels (StoreModel.DeleteArticle).
                Schedule(state, store, s => ids.ForEach(s.DeleteArticle));
                return AimsEnvelope.Success();
            });
        });

        // ⚠ Path from the archived spec (AIMS_API §5.1/§11); the row shape is the emulator's own: articleId + errorText.
        common.MapGet("/articles/validationerror/logs", (HttpContext ctx) => AimsRequest.ForStore(ctx, state, (_, store) =>
        {
            var batchId = ctx.Request.Query["inputBatchId"].FirstOrDefault() ?? ctx.Request.Query["batchId"].FirstOrDefault();
            if (batchId is null || !store.ValidationErrors.TryGetValue(batchId, out var errors)) return AimsEnvelope.InvalidBody();
            var rows = new JsonArray([.. errors.Select(e => (JsonNode)new JsonObject { ["articleId"] = e.ArticleId, ["errorText"] = e.Reason })]);
            return AimsEnvelope.List(state.Options, "validationErrorList", rows, new JsonObject { ["inputBatchId"] = batchId });
        }));

        common.MapGet("/articles/upload/format", (HttpContext ctx) => AimsRequest.ForCompany(ctx, state, company =>
        {
            if (company.Format is null) return Results.NoContent();
            var body = (JsonObject)company.Format.DeepClone();
            body["responseCode"] = "200";
            body["responseMessage"] = "SUCCESS";
            return Results.Json(body);
        }));

        common.MapPost("/articles/upload/format", async (HttpContext ctx) =>
        {
            var body = await AimsRequest.ReadJsonAsync(ctx);
            return AimsRequest.ForCompany(ctx, state, company =>
            {
                if (body is not JsonObject format) return AimsEnvelope.InvalidBody();
                format.Remove("responseCode");
                format.Remove("responseMessage");
                company.Format = format;
                return AimsEnvelope.Success();
            });
        });
    }

    private static IResult ArticlePage(HttpContext ctx, EmulatorState state, StoreModel store, Func<ArticleModel, JsonObject> toRow)
    {
        var rows = new JsonArray([.. AimsRequest.Page(ctx, store.Articles.Values).Select(toRow)]);
        return AimsEnvelope.List(state.Options, "articleList", rows, new JsonObject { ["totalArticleCnt"] = store.Articles.Count });
    }

    /// <summary>POST replaces each article whole; PUT merges the given fields and data keys into it.</summary>
    private static async Task<IResult> WriteArticles(HttpContext ctx, EmulatorState state, bool replace)
    {
        var body = await AimsRequest.ReadJsonAsync(ctx);
        return AimsRequest.ForStore(ctx, state, (company, store) =>
        {
            if (body is not JsonArray items || items.Count > state.Options.MaxArticlesPerPost) return AimsEnvelope.InvalidBody();
            var articles = items.Select(ParseArticle).ToList();
            if (articles.Any(a => a is null)) return AimsEnvelope.InvalidBody();

            // AIMS fills the store key of the company's format itself.
            var storeKey = AimsRequest.AsString(company.Format?["mappingInfo"]?["store"]);
            var now = state.Now;
            var batchId = Guid.NewGuid().ToString();
            var rejected = state.Options.RejectArticleIdPattern is { Length: > 0 } pattern
                ? articles.Where(a => System.Text.RegularExpressions.Regex.IsMatch(a!.ArticleId, pattern)).ToList()
                : [];
            store.ValidationErrors[batchId] = [.. rejected.Select(a => (a!.ArticleId, "ARTICLE_VALIDATION_FAILED"))];
            Schedule(state, store, s =>
            {
                foreach (var article in articles.Except(rejected))
                {
                    if (storeKey is not null) article!.Data[storeKey] = s.Code;
                    Upsert(s, article!, replace, now);
                    state.Options.ArticleWritten?.Invoke(article!.ArticleId, article.Data);
                }
            });
            return AimsEnvelope.Success(new JsonObject
            {
                ["customBatchId"] = batchId,
                ["validCount"] = articles.Count - rejected.Count,
                ["invalidCount"] = rejected.Count,
            });
        });
    }

    private static void Schedule(EmulatorState state, StoreModel store, Action<StoreModel> apply) =>
        store.Schedule(state.Now + state.Options.ArticleVisibilityDelay, state.Now, apply);

    /// <summary>Null when the item is not an object with a non-empty articleId.</summary>
    private static ParsedArticle? ParseArticle(JsonNode? item)
    {
        if (item is not JsonObject obj || AimsRequest.AsString(obj["articleId"]) is not { Length: > 0 } id) return null;
        var data = new Dictionary<string, string>();
        if (obj["data"] is JsonObject dataObject)
        {
            foreach (var (key, value) in dataObject) data[key] = AimsRequest.AsString(value) ?? "";
        }
        return new ParsedArticle(id, AimsRequest.AsString(obj["articleName"]), AimsRequest.AsString(obj["nfcUrl"]), data);
    }

    private static void Upsert(StoreModel store, ParsedArticle input, bool replace, DateTimeOffset now)
    {
        if (!store.Articles.TryGetValue(input.ArticleId, out var article))
            store.Articles[input.ArticleId] = article = new ArticleModel { ArticleId = input.ArticleId, GenerateDate = now };
        else if (replace)
            article.Data = [];
        if (replace || input.ArticleName is not null) article.ArticleName = input.ArticleName ?? "";
        if (replace || input.NfcUrl is not null) article.NfcUrl = input.NfcUrl ?? "";
        foreach (var (key, value) in input.Data) article.Data[key] = value;
        article.LastModified = now;
    }

    private sealed record ParsedArticle(string ArticleId, string? ArticleName, string? NfcUrl, Dictionary<string, string> Data);
}
