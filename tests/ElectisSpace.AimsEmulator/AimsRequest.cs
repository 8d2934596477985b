using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElectisSpace.AimsEmulator;

/// <summary>Reading an AIMS request: JSON body, paging and the (company, store) it addresses.</summary>
internal static class AimsRequest
{
    private const string UserKey = "aims.username";
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public static void SetUser(HttpContext ctx, string username) => ctx.Items[UserKey] = username;

    /// <summary>The body as JSON, or null when it is empty or not JSON.</summary>
    public static async Task<JsonNode?> ReadJsonAsync(HttpContext ctx)
    {
        try
        {
            return await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A list of strings under <paramref name="key"/> of a JSON object body, or null if it is not one.</summary>
    public static List<string>? StringList(JsonNode? body, string key)
    {
        if (body is not JsonObject obj || obj[key] is not JsonArray array) return null;
        var values = array.Select(AsString).ToList();
        return values.Any(string.IsNullOrEmpty) ? null : values.Select(v => v!).ToList();
    }

    /// <summary>AIMS stores every value as text: numbers and booleans keep their JSON spelling.</summary>
    public static string? AsString(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    /// <summary>0-based page and a size capped at 500; rows sorted ascending are sliced by the caller.</summary>
    public static IEnumerable<T> Page<T>(HttpContext ctx, IEnumerable<T> sortedRows)
    {
        var page = Math.Max(0, QueryInt(ctx, "page") ?? 0);
        var size = Math.Clamp(QueryInt(ctx, "size") ?? DefaultPageSize, 1, MaxPageSize);
        return sortedRows.Skip(page * size).Take(size);
    }

    private static int? QueryInt(HttpContext ctx, string name) =>
        int.TryParse(ctx.Request.Query[name], out var value) ? value : null;

    /// <summary>Runs <paramref name="action"/> under the state lock for the company in the query,
    /// or answers 403 COMPANY_NOT_FOUND (unknown, not this account's, or bound to the other cluster root).</summary>
    public static IResult ForCompany(HttpContext ctx, EmulatorState state, Func<CompanyModel, IResult> action)
    {
        var code = ctx.Request.Query["company"].ToString();
        var username = ctx.Items[UserKey] as string ?? "";
        if (code == "" || !state.AccountHasCompany(username, code)) return AimsEnvelope.CompanyNotFound();
        var root = ctx.Request.Path.StartsWithSegments("/c1") ? "c1" : "common";
        return state.WithCompany(code, company =>
            company is null || (company.Cluster is not null && company.Cluster != root)
                ? AimsEnvelope.CompanyNotFound()
                : action(company));
    }

    /// <summary>As <see cref="ForCompany"/>, then the store in the query or 405 STORE_CODE_NOT_FOUND.</summary>
    public static IResult ForStore(HttpContext ctx, EmulatorState state, Func<CompanyModel, StoreModel, IResult> action)
    {
        var code = ctx.Request.Query["store"].ToString();
        return ForCompany(ctx, state, company =>
            company.Stores.TryGetValue(code, out var store) ? action(company, store) : AimsEnvelope.StoreNotFound());
    }

    public static string FormatDate(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss");
}
