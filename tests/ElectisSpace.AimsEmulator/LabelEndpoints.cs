using System.Text.Json.Nodes;

namespace ElectisSpace.AimsEmulator;

/// <summary>labels, labels/unassigned, labels/link, labels/unlink, labels/page, labels/detail and whitelist.</summary>
internal static class LabelEndpoints
{
    public static void Map(RouteGroupBuilder common, EmulatorState state)
    {
        common.MapGet("/labels", (HttpContext ctx) => AimsRequest.ForStore(ctx, state, (_, store) =>
        {
            var rows = new JsonArray([.. AimsRequest.Page(ctx, store.Labels.Values).Select(l => ListRow(store, l))]);
            return AimsEnvelope.List(state.Options, "labelList", rows, new JsonObject { ["totalLabelCnt"] = store.Labels.Count });
        }));

        common.MapGet("/labels/unassigned", (HttpContext ctx) => AimsRequest.ForStore(ctx, state, (_, store) =>
        {
            var rows = new JsonArray([.. store.Labels.Values.Where(l => l.ArticleIds.Count == 0).Select(l => UnassignedRow(store, l))]);
            return AimsEnvelope.List(state.Options, "labelList", rows);
        }));

        common.MapGet("/labels/detail", (HttpContext ctx) => AimsRequest.ForStore(ctx, state, (_, store) =>
            store.Labels.TryGetValue(ctx.Request.Query["label"].ToString(), out var label)
                ? AimsEnvelope.Success(new JsonObject
                {
                    ["labelCode"] = label.Code,
                    ["activePage"] = label.CurrentPage,
                    ["width"] = 296,
                    ["height"] = 128,
                    ["currentImage"] = new JsonArray(),
                    ["previousImage"] = new JsonArray(),
                })
                : Results.NoContent()));

        MapStorePost(common, state, "/labels/link", (store, body) => Link(state, store, body));
        MapStorePost(common, state, "/labels/page", (store, body) => ChangePages(state, store, body));

        MapStorePost(common, state, "/labels/unlink", (store, body) =>
        {
            if (AimsRequest.StringList(body, "unAssignList") is not { } codes) return AimsEnvelope.InvalidBody();
            foreach (var code in codes)
            {
                if (store.Labels.TryGetValue(code, out var label)) SetLink(state, label, [], null);
            }
            return AimsEnvelope.Success();
        });

        MapStorePost(common, state, "/whitelist", (store, body) =>
        {
            if (AimsRequest.StringList(body, "labelList") is not { } codes) return AimsEnvelope.InvalidBody();
            store.Whitelist.UnionWith(codes);
            return AimsEnvelope.Success();
        });
    }

    /// <summary>A POST that reads its JSON body, then runs under the lock for the (company, store) in the query.</summary>
    private static void MapStorePost(RouteGroupBuilder common, EmulatorState state, string path, Func<StoreModel, JsonNode?, IResult> handle) =>
        common.MapPost(path, async (HttpContext ctx) =>
        {
            var body = await AimsRequest.ReadJsonAsync(ctx);
            return AimsRequest.ForStore(ctx, state, (_, store) => handle(store, body));
        });

    /// <summary>Validates every entry first, so a bad one changes nothing. Re-linking a label moves it.</summary>
    private static IResult Link(EmulatorState state, StoreModel store, JsonNode? body)
    {
        if (body?["assignList"] is not JsonArray { Count: > 0 } entries) return AimsEnvelope.InvalidBody();
        var links = new List<(LabelModel Label, List<string> ArticleIds, string? Template)>();
        foreach (var entry in entries)
        {
            var code = AimsRequest.AsString(entry?["labelCode"]);
            var articleIds = AimsRequest.StringList(entry, "articleIdList");
            if (code is null || articleIds is not { Count: > 0 }) return AimsEnvelope.InvalidBody();
            if (!store.Labels.TryGetValue(code, out var label)) return AimsEnvelope.Error(405, $"LABEL_NOT_FOUND({code})");
            if (articleIds.Any(id => !store.Articles.ContainsKey(id))) return AimsEnvelope.Error(405, "ARTICLE_ID_NOT_FOUND");
            if (state.Options.WhitelistMode && !store.Whitelist.Contains(code))
            {
                // 200 with a non-success responseCode: the real client checks the code and whitelists on "whitelist".
                return Results.Json(new JsonObject
                {
                    ["responseCode"] = "NOT_IN_WHITELIST",
                    ["responseMessage"] = $"Label {code} is not in the whitelist of store {store.Code}",
                });
            }
            links.Add((label, articleIds, AimsRequest.AsString(entry?["templateName"])));
        }
        foreach (var (label, articleIds, template) in links) SetLink(state, label, articleIds, template);
        return AimsEnvelope.Success();
    }

    private static void SetLink(EmulatorState state, LabelModel label, List<string> articleIds, string? templateName)
    {
        label.ArticleIds = articleIds;
        label.TemplateName = templateName;
        label.LastChanged = state.Now;
    }

    private static IResult ChangePages(EmulatorState state, StoreModel store, JsonNode? body)
    {
        if (body?["pageChangeList"] is not JsonArray { Count: > 0 } entries) return AimsEnvelope.InvalidBody();
        var changes = new List<(LabelModel Label, int Page)>();
        foreach (var entry in entries)
        {
            var code = AimsRequest.AsString(entry?["labelCode"]);
            if (code is null || !int.TryParse(AimsRequest.AsString(entry?["page"]), out var page)) return AimsEnvelope.InvalidBody();
            if (!store.Labels.TryGetValue(code, out var label)) return AimsEnvelope.Error(405, $"LABEL_NOT_FOUND({code})");
            if (page > label.Pages) return AimsEnvelope.Error(405, $"PAGE_CAN_NOT_BE_GREATER_THAN_MAX_PAGES({label.Pages})");
            if (page < 1) return AimsEnvelope.Error(405, "PAGE_CAN_NOT_BE_LESS_THAN_1");
            changes.Add((label, page));
        }
        foreach (var (label, page) in changes)
        {
            label.CurrentPage = page;
            label.LastChanged = state.Now;
        }
        return AimsEnvelope.Success();
    }

    private static JsonObject ListRow(StoreModel store, LabelModel label) => new()
    {
        ["labelCode"] = label.Code,
        ["updateStatus"] = "SUCCESS",
        ["articleList"] = new JsonArray([.. label.ArticleIds.Select(id => (JsonNode)new JsonObject
        {
            ["articleId"] = id,
            ["articleName"] = store.Articles.TryGetValue(id, out var a) ? a.ArticleName : "",
        })]),
        ["lastResponsetime"] = AimsRequest.FormatDate(label.LastChanged),
        ["battery"] = label.Battery,
        ["batteryLevel"] = label.Battery == "GOOD" ? "HIGH" : "LOW",
        ["signal"] = label.Signal,
        ["dataChannelRssi"] = label.Signal == "EXCELLENT" ? -50 : -75,
        ["gateway"] = new JsonObject { ["name"] = $"GW-{store.Code}", ["lastConnectionDate"] = AimsRequest.FormatDate(label.LastChanged) },
        ["type"] = label.Type,
        ["firmwareVersion"] = "1.0.0",
        ["networkStatus"] = label.NetworkStatus,
        ["templateName"] = new JsonArray([.. label.ArticleIds.Count > 0 ? [(JsonNode)(label.TemplateName ?? "DEFAULT")] : Array.Empty<JsonNode>()]),
        ["currentPage"] = label.CurrentPage,
        ["pages"] = label.Pages,
    };

    private static JsonObject UnassignedRow(StoreModel store, LabelModel label) => new()
    {
        ["labelCode"] = label.Code,
        ["unAssignedOn"] = AimsRequest.FormatDate(label.LastChanged),
        ["labelMac"] = label.Code,
        ["firmwareVersion"] = "1.0.0",
        ["signal"] = label.Signal,
        ["battery"] = label.Battery,
        ["networkStatus"] = label.NetworkStatus,
        ["lastResponseTime"] = AimsRequest.FormatDate(label.LastChanged),
        ["labelModel"] = label.Type,
        ["temperature"] = 22,
        ["gateway"] = $"GW-{store.Code}",
        ["store"] = store.Code,
    };
}
