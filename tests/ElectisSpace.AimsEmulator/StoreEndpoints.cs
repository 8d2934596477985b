using System.Text.Json.Nodes;

namespace ElectisSpace.AimsEmulator;

/// <summary>GET store?company — the company's stores with their counts.</summary>
internal static class StoreEndpoints
{
    public static void Map(RouteGroupBuilder common, EmulatorState state)
    {
        common.MapGet("/store", (HttpContext ctx) => AimsRequest.ForCompany(ctx, state, company =>
        {
            var rows = new JsonArray([.. company.Stores.Values.Select(store => (JsonNode)new JsonObject
            {
                ["store"] = store.Code,
                ["storeName"] = store.Name,
                ["region"] = "",
                ["city"] = "",
                ["country"] = "",
                ["company"] = company.Code,
                ["labelCount"] = store.Labels.Count,
                ["gatewayCount"] = 1,
                ["articleCount"] = store.Articles.Count,
                ["address"] = "",
                ["zoneId"] = "UTC",
                ["lastUpdateTime"] = AimsRequest.FormatDate(state.Now),
            })]);
            return AimsEnvelope.List(state.Options, "stores", rows);
        }));
    }
}
