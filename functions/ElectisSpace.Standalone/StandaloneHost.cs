using ElectisSpace.Core;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Routing;
using ElectisSpace.Core.Sync;
using ElectisSpace.Core.Configuration;
using Npgsql;
using Scalar.AspNetCore;

namespace ElectisSpace.Standalone;

public static class StandaloneHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("setting", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync($"electisSpace cannot start: {e.Message}");
            return 2;
        }
        await MigrateAsync(app.Services);
        await app.RunAsync();
        return 0;
    }

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddElectisSpace(builder.Configuration);
        builder.Services.AddStandaloneSync();
        builder.Services.AddPushWorker(ServerSettings.Load(builder.Configuration));
        // Our own readers enforce 1 MiB (JSON) and 10 MiB (CSV) with the error envelope; Kestrel's cap sits just above.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = RequestBody.MaxUploadBytes + 1024 * 1024;
            k.AddServerHeader = false; // "Server: Kestrel" tells an attacker what to try
            // Long ids and query values must reach the handlers, which answer them with the envelope (404/400),
            // instead of Kestrel's bare 414/431.
            k.Limits.MaxRequestLineSize = 64 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 96 * 1024;
        });
        var app = builder.Build();
        Configure(app);
        return app;
    }

    /// <summary>Maps the one route table under /api, plus envelopes for unknown routes and wrong methods.</summary>
    public static void Configure(WebApplication app)
    {
        // The client address from X-Forwarded-For, believed only from Network:TrustedProxies (none by default; see ClientAddress).
        app.UseForwardedHeaders();
        app.Use((ctx, next) => { SecurityHeaders.Apply(ctx); return next(ctx); });
        app.UseStatusCodePages(async ctx =>
        {
            var (code, message) = ctx.HttpContext.Response.StatusCode switch
            {
                404 => (ErrorCodes.NotFound, "No such route."),
                405 => ("METHOD_NOT_ALLOWED", "This route does not accept that HTTP method."),
                413 => (ErrorCodes.PayloadTooLarge, "The request body is too large."),
                var s => (s >= 500 ? ErrorCodes.Internal : ErrorCodes.Validation, "The request failed."),
            };
            // The same envelope writer as every API error (ApiResults.Error).
            await ApiResults.Error(new ApiException(ctx.HttpContext.Response.StatusCode, code, message)).ExecuteAsync(ctx.HttpContext);
        });

        var api = app.MapGroup("/api");
        foreach (var route in ApiRoutes.All)
            // Cast to Func<…, Task<IResult>>: a bare lambda binds to RequestDelegate and the IResult would be dropped.
            api.MapMethods(route.Pattern, [route.Method], (Func<HttpContext, Task<IResult>>)(ctx => ApiRoutes.Serve(route, ctx.Request)))
                .WithName(route.Name).WithMetadata(route);

        // The API describes itself: the document is built once from the same route table (see OpenApiDocument).
        var document = new Lazy<string>(() => OpenApiDocument.ToJson(ApiRoutes.All));
        app.MapGet(OpenApiDocument.DocumentPath, () => Results.Text(document.Value, "application/json; charset=utf-8"))
            .ExcludeFromDescription();
        // The interactive reference page (/scalar) reads that document; off unless Api:ReferencePageEnabled is true.
        if (app.Services.GetRequiredService<ServerSettings>().ApiReferencePageEnabled)
            app.MapScalarApiReference(o => o.WithTitle("electisSpace Server API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
    }

    public static async Task MigrateAsync(IServiceProvider services)
    {
        var settings = services.GetRequiredService<ElectisSpace.Core.Configuration.ServerSettings>();
        if (!settings.RunMigrations) return;
        var applied = await MigrationRunner.RunAsync(services.GetRequiredService<NpgsqlDataSource>());
        if (applied.Count > 0)
            services.GetRequiredService<ILoggerFactory>().CreateLogger("ElectisSpace.Migrations")
                .LogInformation("Applied migrations: {Migrations}", string.Join(", ", applied));
    }
}
