using System.Text.Json.Nodes;

namespace ElectisSpace.AimsEmulator;

/// <summary>AIMS answers: a string <c>responseCode</c>, a <c>responseMessage</c>, and lists beside them at top level.</summary>
internal static class AimsEnvelope
{
    public static IResult Success(JsonObject? extra = null)
    {
        var body = new JsonObject { ["responseCode"] = "200", ["responseMessage"] = "SUCCESS" };
        foreach (var (key, value) in extra ?? []) body[key] = value?.DeepClone();
        return Results.Json(body, statusCode: 200);
    }

    public static IResult Error(int status, string message) => Results.Json(ErrorBody(status, message), statusCode: status);

    public static JsonObject ErrorBody(int status, string message) =>
        new() { ["responseCode"] = status.ToString(), ["responseMessage"] = message };

    /// <summary>A list under <paramref name="listKey"/>; an empty list is 204 without a body when the options say so.</summary>
    public static IResult List(EmulatorOptions options, string listKey, JsonArray rows, JsonObject? extra = null)
    {
        if (rows.Count == 0 && options.EmptyListAs204) return Results.NoContent();
        var all = extra ?? [];
        all[listKey] = rows;
        return Success(all);
    }

    // The 405 "Parameter is invalid" family SoluM uses for every validation error.
    public static IResult InvalidBody() => Error(405, "POST_BODY_MISSING_OR_INVALID_DATA_IN_REQUEST");
    public static IResult StoreNotFound() => Error(405, "STORE_CODE_NOT_FOUND");
    public static IResult CompanyNotFound() => Error(403, "COMPANY_NOT_FOUND");
}
