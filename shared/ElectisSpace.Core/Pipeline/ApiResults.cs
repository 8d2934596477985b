namespace ElectisSpace.Core.Pipeline;

/// <summary>The response shapes of the API: the error envelope and the list envelope.</summary>
public static class ApiResults
{
    public static IResult Error(ApiException e) => new ErrorResult(e);

    public static IResult Ok<T>(T value) => Results.Json(value, Json.Options, statusCode: 200);
    public static IResult Created<T>(T value) => Results.Json(value, Json.Options, statusCode: 201);
    public static IResult Accepted<T>(T value) => Results.Json(value, Json.Options, statusCode: 202);
    public static IResult NoContent() => Results.NoContent();

    public static IResult Page<T>(IReadOnlyList<T> data, PageRequest page, long total, string? nextCursor = null) =>
        Ok(PageBody(data, page, total, nextCursor));

    public static PagedResponse<T> PageBody<T>(IReadOnlyList<T> data, PageRequest page, long total, string? nextCursor = null) =>
        new(data, new Pagination(page.Page, page.Limit, total, total == 0 ? 0 : (int)((total + page.Limit - 1) / page.Limit), nextCursor));

    private sealed class ErrorResult(ApiException e) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = e.Status;
            if (e.RetryAfterSeconds is { } s) response.Headers.RetryAfter = s.ToString();
            response.Headers.CacheControl = "no-store";
            var body = new ErrorEnvelope(new ErrorBody(e.Code, e.Message, e.Details));
            return response.WriteAsJsonAsync(body, Json.Options, "application/json", httpContext.RequestAborted);
        }
    }
}

public sealed record ErrorEnvelope(ErrorBody Error);
public sealed record ErrorBody(string Code, string Message,
    [property: System.ComponentModel.Description("null; for VALIDATION_ERROR a list of {field, message}; for some codes an object with more facts (e.g. lockedUntil).")]
    object? Details);
public sealed record Pagination(int Page, int Limit, long Total, int TotalPages,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    [property: System.ComponentModel.Description("Lists with cursor paging only, when a next page exists: pass it as cursor= to get that page at the cost of the first.")]
    string? NextCursor = null);
public sealed record PagedResponse<T>(IReadOnlyList<T> Data, Pagination Pagination);
