using ElectisSpace.Core;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Database;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

// Azure Functions isolated worker with ASP.NET Core integration: the same shared services and handlers as Standalone.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<ElectisSpace.Functions.HttpHardeningMiddleware>(); // security headers + envelope (issue 17)
builder.Services.AddElectisSpace(builder.Configuration);

var app = builder.Build();
if (app.Services.GetRequiredService<ServerSettings>().RunMigrations)
    await MigrationRunner.RunAsync(app.Services.GetRequiredService<NpgsqlDataSource>());
app.Run();
