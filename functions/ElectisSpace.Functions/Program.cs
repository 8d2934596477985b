using ElectisSpace.Functions;
using Microsoft.Extensions.Hosting;

// Azure Functions isolated worker with ASP.NET Core integration: the same shared services and handlers as Standalone.
// Migrations are not a start-up step here (Database:RunMigrations defaults to false in this host): every scaled-out
// instance would race them on a cold start. Operators run `dotnet run --project functions/ElectisSpace.Standalone -- migrate`
// before deploying (see docs/deploy.md, "Migrations").
var app = FunctionsApp.CreateBuilder(args).Build();
await FunctionsApp.MigrateIfEnabledAsync(app.Services);
app.Run();
