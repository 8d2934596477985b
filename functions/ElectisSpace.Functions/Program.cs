using ElectisSpace.Functions;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Database;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

// Azure Functions isolated worker with ASP.NET Core integration: the same shared services and handlers as Standalone.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
FunctionsApp.ConfigureServices(builder.Services, builder.Configuration);

var app = builder.Build();
if (app.Services.GetRequiredService<ServerSettings>().RunMigrations)
    await MigrationRunner.RunAsync(app.Services.GetRequiredService<NpgsqlDataSource>());
app.Run();
