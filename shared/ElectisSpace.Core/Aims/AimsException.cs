namespace ElectisSpace.Core.Aims;

/// <summary>What went wrong talking to AIMS, in the terms the sync engine decides on.</summary>
public enum AimsFailure
{
    /// <summary>Connection refused/reset, DNS, or a timeout: try later.</summary>
    Unreachable,
    /// <summary>AIMS answered 5xx: try later.</summary>
    ServerError,
    /// <summary>429: try later (RetryAfter when AIMS said).</summary>
    RateLimited,
    /// <summary>Too many recent failures: the circuit is open and calls are not sent. Try later.</summary>
    CircuitOpen,
    /// <summary>Login failed or the token was refused even after a fresh login: fix the credentials.</summary>
    Unauthorized,
    /// <summary>403: unknown company or licence problem (COMPANY_NOT_FOUND, LICENSE_EXPIRED).</summary>
    Forbidden,
    /// <summary>AIMS refused the request (405 "parameter invalid", other 4xx, or a failure responseCode in a 2xx).</summary>
    Rejected,
    /// <summary>AIMS answered something that is not the documented JSON.</summary>
    InvalidResponse,
}

/// <summary>A failed AIMS call, classified: <see cref="IsRetryable"/> tells the sync engine whether to try again.</summary>
public sealed class AimsException(AimsFailure failure, string message, int? httpStatus = null, string? responseCode = null,
    string? responseMessage = null, TimeSpan? retryAfter = null, Exception? inner = null) : Exception(message, inner)
{
    public AimsFailure Failure { get; } = failure;
    public int? HttpStatus { get; } = httpStatus;
    /// <summary>AIMS's responseCode (a string such as "405"), when it sent one.</summary>
    public string? ResponseCode { get; } = responseCode;
    /// <summary>AIMS's responseMessage text (e.g. STORE_CODE_NOT_FOUND), when it sent one.</summary>
    public string? ResponseMessage { get; } = responseMessage;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public bool IsRetryable => Failure is AimsFailure.Unreachable or AimsFailure.ServerError or AimsFailure.RateLimited
        or AimsFailure.CircuitOpen or AimsFailure.InvalidResponse;
}
