using System.Text.Json.Nodes;

namespace ElectisSpace.AimsEmulator;

/// <summary>POST token, POST token/refresh, HEAD token (the "alive" probe), and the Bearer check for everything else.</summary>
internal static class AuthEndpoints
{
    public static void Map(RouteGroupBuilder api, EmulatorState state)
    {
        api.MapPost("/token", async (HttpContext ctx) =>
        {
            var body = await AimsRequest.ReadJsonAsync(ctx);
            var pair = state.Login(AimsRequest.AsString(body?["username"]) ?? "", AimsRequest.AsString(body?["password"]) ?? "");
            return pair is null ? AimsEnvelope.Error(401, "INVALID_USERNAME_AND_PASSWORD") : TokenResult(pair);
        });

        api.MapPost("/token/refresh", async (HttpContext ctx) =>
        {
            var body = await AimsRequest.ReadJsonAsync(ctx);
            var pair = state.Refresh(AimsRequest.AsString(body?["refreshToken"]) ?? "");
            return pair is null ? AimsEnvelope.Error(401, "Unauthorized: TOKEN_IS_INVALID") : TokenResult(pair);
        });

        // The server's readiness probe counts any 2xx-4xx answer as "up".
        api.MapMethods("/token", ["HEAD"], () => Results.StatusCode(405));
    }

    private static IResult TokenResult(TokenPair pair) => Results.Json(new JsonObject
    {
        ["responseCode"] = "200",
        ["responseMessage"] = new JsonObject
        {
            ["access_token"] = pair.AccessToken,
            ["token_type"] = "Bearer",
            ["expires_in"] = pair.ExpiresInSeconds,
            ["refresh_token"] = pair.RefreshToken,
        },
    });

    /// <summary>401 "Unauthorized: TOKEN_…" unless the request carries a valid, unexpired Bearer token.</summary>
    public static RouteGroupBuilder RequireBearer(this RouteGroupBuilder group, EmulatorState state) =>
        group.AddEndpointFilter(async (filterContext, next) =>
        {
            var ctx = filterContext.HttpContext;
            var header = ctx.Request.Headers.Authorization.ToString();
            // A header without the "Bearer " prefix is checked as a token as-is, so it answers TOKEN_IS_INVALID.
            var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : header;
            var (status, username) = state.CheckToken(token);
            if (status != TokenStatus.Valid)
            {
                var reason = status switch
                {
                    TokenStatus.Missing => "TOKEN_NOT_FOUND_IN_REQUEST",
                    TokenStatus.Expired => "TOKEN_EXPIRED",
                    _ => "TOKEN_IS_INVALID",
                };
                return AimsEnvelope.Error(401, "Unauthorized: " + reason);
            }
            AimsRequest.SetUser(ctx, username!);
            return await next(filterContext);
        });
}
