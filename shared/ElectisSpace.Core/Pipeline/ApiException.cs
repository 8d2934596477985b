namespace ElectisSpace.Core.Pipeline;

/// <summary>One field-level problem in a VALIDATION_ERROR (or a CSV row problem).</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>
/// Every expected failure is thrown as an ApiException and turned into the one error envelope
/// by <see cref="Api.Run"/>. Handlers never build error responses themselves.
/// </summary>
public sealed class ApiException(int status, string code, string message, object? details = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public object? Details { get; } = details;
    /// <summary>Seconds for the Retry-After header (RATE_LIMITED, SERVICE_UNAVAILABLE).</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiException Validation(string message, params FieldError[] details) =>
        new(400, ErrorCodes.Validation, message, details.Length == 0 ? null : details);
    public static ApiException Validation(IReadOnlyList<FieldError> details) =>
        new(400, ErrorCodes.Validation, "The request is not valid.", details);
    /// <summary>A CSV file with row errors: details lists each row, line and reason.</summary>
    public static ApiException InvalidRows(string message, params ImportRowError[] rows) =>
        new(400, ErrorCodes.Validation, message, rows);
    public static ApiException Unauthorized(string message = "Authentication is required.") =>
        new(401, ErrorCodes.Unauthorized, message);
    public static ApiException TokenExpired() =>
        new(401, ErrorCodes.TokenExpired, "The access token has expired; use the refresh token to get a new one.");
    public static ApiException Forbidden(string message = "Your role does not allow this action.") =>
        new(403, ErrorCodes.Forbidden, message);
    public static ApiException NotFound(string what) =>
        new(404, ErrorCodes.NotFound, $"{what} was not found.");
    public static ApiException Conflict(string message, object? details = null) =>
        new(409, ErrorCodes.Conflict, message, details);
    public static ApiException TooLarge(long maxBytes) =>
        new(413, ErrorCodes.PayloadTooLarge, $"The request body is larger than {maxBytes / (1024 * 1024)} MiB.");
    public static ApiException Unsupported(string message) =>
        new(415, ErrorCodes.UnsupportedMediaType, message);
    public static ApiException Business(string message, object? details = null) =>
        new(422, ErrorCodes.Business, message, details);
    public static ApiException RateLimited(int retryAfterSeconds) =>
        new(429, ErrorCodes.RateLimited, $"Too many requests. Try again in {retryAfterSeconds} s.") { RetryAfterSeconds = retryAfterSeconds };
    public static ApiException BadGateway(string message, object? details = null) =>
        new(502, ErrorCodes.BadGateway, message, details);
    public static ApiException Unavailable(string message) =>
        new(503, ErrorCodes.ServiceUnavailable, message);
}

public static class ErrorCodes
{
    public const string Validation = "VALIDATION_ERROR";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string TokenExpired = "TOKEN_EXPIRED";
    public const string Forbidden = "FORBIDDEN";
    public const string NotFound = "NOT_FOUND";
    public const string Conflict = "CONFLICT";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";
    public const string Business = "BUSINESS_ERROR";
    public const string RateLimited = "RATE_LIMITED";
    public const string Internal = "INTERNAL_ERROR";
    public const string BadGateway = "BAD_GATEWAY";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";
    /// <summary>An Idempotency-Key already answered a different request (body, route or query).</summary>
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
    /// <summary>A request with this Idempotency-Key is still running (Retry-After says when to try again).</summary>
    public const string IdempotencyKeyInUse = "IDEMPOTENCY_KEY_IN_USE";

    /// <summary>The HTTP status each code is answered with (the factories of <see cref="ApiException"/>).</summary>
    public static int Status(string code) => code switch
    {
        Validation => 400,
        Unauthorized or TokenExpired => 401,
        Forbidden => 403,
        NotFound => 404,
        Conflict or IdempotencyKeyInUse => 409,
        PayloadTooLarge => 413,
        UnsupportedMediaType => 415,
        Business or IdempotencyKeyReused => 422,
        RateLimited => 429,
        Internal => 500,
        BadGateway => 502,
        ServiceUnavailable => 503,
        _ => throw new ArgumentException($"Unknown error code {code}.", nameof(code)),
    };
}
