using System.Diagnostics;
using System.Text;

namespace ElectisSpace.AimsEmulator;

/// <summary>Builds the emulator's web app; Program.Main and AimsEmulatorHost both use it, so they behave the same.</summary>
public static class EmulatorApp
{
    public static readonly string[] Roots = ["/common/api/v2", "/c1/common/api/v2"];

    public static WebApplication Build(string[] args, EmulatorSeed seed, EmulatorOptions options, string? urls = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (urls is not null) builder.WebHost.UseUrls(urls);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        var state = new EmulatorState(seed, options);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(new Faults(state));
        builder.Services.AddSingleton(new RequestLog());

        var app = builder.Build();
        app.Use(LogAndInjectFaults(app.Services.GetRequiredService<RequestLog>(), app.Services.GetRequiredService<Faults>()));

        foreach (var root in Roots)
        {
            var api = app.MapGroup(root);
            AuthEndpoints.Map(api, state);
            var common = api.MapGroup("/common").RequireBearer(state);
            ArticleEndpoints.Map(common, state);
            LabelEndpoints.Map(common, state);
            StoreEndpoints.Map(common, state);
        }
        ControlEndpoints.Map(app.MapGroup("/_emulator"), state, app.Services.GetRequiredService<Faults>(), app.Services.GetRequiredService<RequestLog>());
        return app;
    }

    private static Func<HttpContext, RequestDelegate, Task> LogAndInjectFaults(RequestLog log, Faults faults) => async (ctx, next) =>
    {
        var path = ctx.Request.Path.Value ?? "";
        if (path.StartsWith("/_emulator", StringComparison.Ordinal))
        {
            await next(ctx);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            await ApplyFault(ctx, faults.Take(ctx.Request.Method, path), next);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (e.g. timed out during an injected delay).
        }
        finally
        {
            var status = ctx.RequestAborted.IsCancellationRequested ? 0 : ctx.Response.StatusCode;
            log.Add(new LoggedRequest(DateTimeOffset.UtcNow, ctx.Request.Method, path, ctx.Request.QueryString.Value ?? "",
                status, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        }
    };

    private static async Task ApplyFault(HttpContext ctx, FaultRule? fault, RequestDelegate next)
    {
        switch (fault?.Kind)
        {
            case null:
                await next(ctx);
                break;
            case FaultKind.Delay:
                await Task.Delay(fault.Delay, ctx.RequestAborted);
                await next(ctx);
                break;
            case FaultKind.Hold:
                fault.Reached.TrySetResult();
                await fault.Release.Task.WaitAsync(ctx.RequestAborted);
                await next(ctx);
                break;
            case FaultKind.Drop:
                ctx.Abort();
                break;
            case FaultKind.MalformedJson:
                ctx.Response.ContentType = "application/json";
                await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("{\"responseCode\":\"200\",\"responseMessage\":\"SUCC"));
                break;
            case FaultKind.Status:
                if (fault.RetryAfter is { } retryAfter)
                    ctx.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                await Results.Json(AimsEnvelope.ErrorBody(fault.Status, fault.Message ?? DefaultMessage(fault.Status)), statusCode: fault.Status)
                    .ExecuteAsync(ctx);
                break;
        }
    }

    private static string DefaultMessage(int status) => status switch
    {
        401 => "Unauthorized: TOKEN_EXPIRED",
        403 => "LICENSE_EXPIRED",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Injected fault",
    };
}
