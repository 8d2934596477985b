using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Timeout;

namespace ElectisSpace.Core.Aims;

/// <summary>
/// The AIMS HTTP pipeline (Polly via Microsoft.Extensions.Http.Resilience), one instance per AIMS host
/// (SelectPipelineByAuthority) so a dead host trips only its own circuit:
/// retry (exponential backoff with jitter, Retry-After honoured) → circuit breaker → per-attempt timeout.
/// Only network errors, timeouts, 5xx, 408 and 429 are retried; other 4xx go straight back to the caller.
/// </summary>
public static class AimsResilience
{
    public const string HttpClientName = "aims";
    /// <summary>The credential-free "alive" probe: one quick attempt, no retries, no circuit (it reports, it doesn't protect).</summary>
    public const string AliveHttpClientName = "aims-alive";

    public static IServiceCollection AddAimsClient(this IServiceCollection services, AimsOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<AimsTokenCache>();
        services.AddSingleton<AimsClient>();
        // Polly owns the timeouts; HttpClient's own 100 s default would cut across them.
        services.AddHttpClient(HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("aims", builder => Configure(builder, options))
            .SelectPipelineByAuthority();
        services.AddHttpClient(AliveHttpClientName, c => c.Timeout = TimeSpan.FromSeconds(5));
        return services;
    }

    private static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, AimsOptions o)
    {
        if (o.MaxRetries > 0)
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = o.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.RetryBaseDelay,
                MaxDelay = TimeSpan.FromSeconds(10),
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
            });
        builder.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = 5,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = o.CircuitBreakDuration,
            // 429 means "slow down", not "down": it doesn't count towards opening the circuit.
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome) && args.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests),
        });
        builder.AddTimeout(o.AttemptTimeout);
    }

    public static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } r } => (int)r.StatusCode >= 500 || r.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout,
        _ => false,
    };
}
