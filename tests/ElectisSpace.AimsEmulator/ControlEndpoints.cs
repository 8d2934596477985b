using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElectisSpace.AimsEmulator;

/// <summary>Test control under <c>/_emulator</c> (no auth): state, reset, seed, options, faults, token expiry, request log.</summary>
internal static class ControlEndpoints
{
    public static void Map(RouteGroupBuilder control, EmulatorState state, Faults faults, RequestLog log)
    {
        control.MapGet("/state", () => Results.Json(state.Dump()));

        // Back to the start-up seed, with no faults, tokens or logged requests.
        control.MapPost("/reset", () =>
        {
            state.Reset();
            faults.Clear();
            log.Clear();
            return Results.Ok(new { reset = true });
        });

        control.MapPost("/seed", async (HttpContext ctx) =>
        {
            var seed = await Deserialize<EmulatorSeed>(ctx);
            if (seed is null) return Results.BadRequest(new { error = "Body must be a seed: {accounts:[...], companies:[...]}" });
            state.Seed(seed);
            return Results.Ok(new { seeded = true });
        });

        control.MapPost("/options", async (HttpContext ctx) =>
        {
            if (await AimsRequest.ReadJsonAsync(ctx) is not JsonObject body) return Results.BadRequest(new { error = "Body must be an object." });
            ApplyOptions(state.Options, body);
            return Results.Json(state.Dump()["options"]);
        });

        control.MapGet("/faults", () => Results.Json(faults.Active, EmulatorSeed.Json));
        control.MapDelete("/faults", () =>
        {
            faults.Clear();
            return Results.Ok(new { cleared = true });
        });
        control.MapPost("/faults", async (HttpContext ctx) =>
        {
            var request = await Deserialize<FaultRequest>(ctx);
            if (request is null) return Results.BadRequest(new { error = "Body must be a fault, e.g. {\"route\":\"/labels\",\"status\":503,\"count\":2}" });
            faults.Add(request.ToRule());
            return Results.Ok(new { added = true });
        });

        control.MapPost("/tokens/expire", () =>
        {
            faults.ExpireAllTokens();
            return Results.Ok(new { expired = true });
        });

        control.MapGet("/requests", () => Results.Json(log.Snapshot(), EmulatorSeed.Json));
        control.MapDelete("/requests", () =>
        {
            log.Clear();
            return Results.Ok(new { cleared = true });
        });
        control.MapGet("/counters", () => Results.Json(log.Counters()));
    }

    private static async Task<T?> Deserialize<T>(HttpContext ctx) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(ctx.Request.Body, EmulatorSeed.Json, ctx.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void ApplyOptions(EmulatorOptions options, JsonObject body)
    {
        if (body["whitelistMode"] is { } whitelist) options.WhitelistMode = whitelist.GetValue<bool>();
        if (body["emptyListAs204"] is { } empty) options.EmptyListAs204 = empty.GetValue<bool>();
        if (body["tokenLifetimeSeconds"] is { } lifetime) options.TokenLifetime = TimeSpan.FromSeconds(lifetime.GetValue<double>());
        if (body["articleVisibilityDelayMs"] is { } delay) options.ArticleVisibilityDelay = TimeSpan.FromMilliseconds(delay.GetValue<double>());
        if (body["maxArticlesPerPost"] is { } max) options.MaxArticlesPerPost = max.GetValue<int>();
        if (body.ContainsKey("rejectArticleIdPattern")) options.RejectArticleIdPattern = (string?)body["rejectArticleIdPattern"];
    }

    /// <summary>The HTTP form of a <see cref="FaultRule"/>: kind "status" (default), "delay", "drop" or "malformed".</summary>
    private sealed class FaultRequest
    {
        public string Route { get; set; } = "";
        public string? Method { get; set; }
        public string Kind { get; set; } = "status";
        public int Status { get; set; } = 500;
        public string? Message { get; set; }
        public int? RetryAfterSeconds { get; set; }
        public int DelayMs { get; set; }
        /// <summary>Omitted or 0 = until cleared.</summary>
        public int Count { get; set; }
        public double Probability { get; set; } = 1;

        public FaultRule ToRule() => new()
        {
            RouteContains = Route,
            Method = Method,
            Kind = Kind.ToLowerInvariant() switch
            {
                "delay" => FaultKind.Delay,
                "drop" => FaultKind.Drop,
                "malformed" => FaultKind.MalformedJson,
                _ => FaultKind.Status,
            },
            Status = Status,
            Message = Message,
            RetryAfter = RetryAfterSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Delay = TimeSpan.FromMilliseconds(DelayMs),
            Remaining = Count > 0 ? Count : int.MaxValue,
            Probability = Probability,
        };
    }
}
