using ElectisSpace.Core;
using ElectisSpace.Core.Configuration;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Organizations;
using ElectisSpace.Core.Routing;
using ElectisSpace.Core.Settings;

namespace ElectisSpace.Standalone;

/// <summary>Command-line tasks that share the server's configuration.</summary>
public static class Commands
{
    /// <summary>seed-admin --org NAME [--code CODE] --email EMAIL --password PASSWORD: an organization and its first admin.</summary>
    public static Task<int> SeedAdminAsync(string[] args) => WithServicesAsync("seed-admin",
        "seed-admin --org NAME [--code CODE] --email EMAIL (--password-stdin | ELECTIS_ADMIN_PASSWORD=... | --password PASSWORD)",
        args, ["org", "email", "password"], async (services, o) =>
        {
            var created = await OrganizationSetup.CreateAsync(services.GetRequiredService<Db>(), services.GetRequiredService<Passwords>(),
                o["org"], o.GetValueOrDefault("code"), o["email"], o["password"]);
            Console.WriteLine($"Created organization '{o["org"]}' (code {created.Code}, id {created.OrgId}) with admin {created.AdminEmail}.");
        });

    private const string PasswordStdin = "--password-stdin";

    /// <summary>
    /// migrate: applies the pending migrations and exits; 0 when the database is current, non-zero with a message when
    /// it can't be. The deploy step for Azure, where Functions instances don't migrate at start (Database:RunMigrations
    /// defaults to false there); this command migrates whatever that setting says.
    /// </summary>
    public static Task<int> MigrateAsync(string[] args) => WithServicesAsync("migrate", "migrate", args, [], async (services, _) =>
    {
        var applied = await MigrationRunner.RunAsync(services.GetRequiredService<Npgsql.NpgsqlDataSource>());
        Console.WriteLine(applied.Count == 0
            ? "The database is up to date; no migration to apply."
            : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}.");
    }, migrateFirst: false);

    /// <summary>
    /// app-login --login NAME: the app's least-privilege login (AppLogin), after `migrate`. With a password
    /// (ELECTIS_APP_DB_PASSWORD or --password-stdin), connected as the administrator: a password login in electisspace_app.
    /// With --entra-object-id, connected as the server's Entra administrator: the managed identity's Entra principal only;
    /// then without either, connected as the administrator again: that existing login joins electisspace_app.
    /// </summary>
    public static Task<int> AppLoginAsync(string[] args) => WithServicesAsync("app-login",
        "app-login --login NAME [--password-stdin | ELECTIS_APP_DB_PASSWORD=... | --entra-object-id OBJECT_ID]",
        args, ["login"], async (services, o) =>
        {
            var db = services.GetRequiredService<Npgsql.NpgsqlDataSource>();
            var login = o["login"];
            if (o.TryGetValue("entra-object-id", out var objectId))
            {
                await AppLogin.EnsureEntraPrincipalAsync(db, login, objectId);
                Console.WriteLine($"Entra principal '{login}' exists; as the administrator, run app-login --login {login} to make it a member of {AppLogin.GroupRole}.");
                return;
            }
            if (o.TryGetValue("password", out var password)) await AppLogin.EnsurePasswordLoginAsync(db, login, password);
            else await AppLogin.JoinAppRoleAsync(db, login);
            Console.WriteLine($"Login '{login}' is a member of {AppLogin.GroupRole} (rows, sequences and functions; no DDL).");
        }, migrateFirst: false);

    /// <summary>Runs a command with the server's services (same settings, migrated database); usage and failures as exit codes.</summary>
    private static async Task<int> WithServicesAsync(string name, string usage, string[] args, string[] required,
        Func<IServiceProvider, Dictionary<string, string>, Task> work, bool migrateFirst = true)
    {
        var options = ParseOptions([.. args.Where(a => a != PasswordStdin)]);
        // A password on the command line shows in `ps` and shell history: prefer standard input or the environment.
        if (!options.ContainsKey("password"))
        {
            var fromEnv = CommandEnvironment.Read(name switch
            {
                "seed-admin" => CommandEnvironment.AdminPassword,
                "app-login" => CommandEnvironment.AppDbPassword,
                _ => CommandEnvironment.AimsPassword,
            });
            var password = args.Contains(PasswordStdin) ? Console.In.ReadLine()?.TrimEnd('\r', '\n') : fromEnv;
            if (!string.IsNullOrEmpty(password)) options["password"] = password;
        }
        if (required.Any(r => !options.ContainsKey(r)))
        {
            await Console.Error.WriteLineAsync("usage: " + usage);
            return 64;
        }
        try
        {
            var builder = WebApplication.CreateBuilder([.. args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('='))]);
            builder.Services.AddElectisSpace(builder.Configuration);
            await using var app = builder.Build();
            if (migrateFirst) await StandaloneHost.MigrateAsync(app.Services);
            await work(app.Services, options);
            return 0;
        }
        catch (ApiException e)
        {
            var details = e.Details is IEnumerable<FieldError> fe ? " " + string.Join("; ", fe.Select(f => $"{f.Field}: {f.Message}")) : "";
            await Console.Error.WriteLineAsync($"{name} failed: {e.Message}{details}");
            return 1;
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"{name} failed: {e.Message}");
            return 2;
        }
        catch (System.Data.Common.DbException e)
        {
            // Unreachable server, bad credentials, a failing migration: the database's own message says which.
            await Console.Error.WriteLineAsync($"{name} failed: database error: {e.Message}");
            return 3;
        }
    }

    /// <summary>
    /// set-aims --org CODE --company C --store S --username U --password P [--base-url URL] [--cluster common|c1]:
    /// the organization's AIMS connection (without --base-url the server's Aims:DefaultBaseUrl is used).
    /// </summary>
    public static Task<int> SetAimsAsync(string[] args) => WithServicesAsync("set-aims",
        "set-aims --org CODE --company COMPANY --store STORE --username USER (--password-stdin | ELECTIS_AIMS_PASSWORD=... | --password PASSWORD) [--base-url URL] [--cluster common|c1]",
        args, ["org", "company", "store", "username", "password"], async (services, o) =>
        {
            var cluster = o.GetValueOrDefault("cluster", "common") switch
            {
                "common" => AimsCluster.Common, "c1" => AimsCluster.C1,
                var other => throw ApiException.Validation($"Unknown cluster '{other}': common or c1."),
            };
            await OrganizationSetup.SetAimsConnectionAsync(services.GetRequiredService<Db>(), services.GetRequiredService<SecretBox>(), o["org"],
                new AimsConnectionSettings { BaseUrl = o.GetValueOrDefault("base-url"), Cluster = cluster, Company = o["company"], Store = o["store"], Username = o["username"] },
                o["password"]);
            Console.WriteLine($"Organization {o["org"]} now talks to AIMS company {o["company"]}, store {o["store"]} as {o["username"]}.");
        });

    /// <summary>
    /// openapi [PATH]: writes the OpenAPI document (default docs/openapi.json). It is built from the route table alone,
    /// so it needs no settings and no database. A relative PATH is taken from the repository root
    /// (`dotnet run --project` runs in the project folder, not where it was typed).
    /// </summary>
    public static async Task<int> WriteOpenApiAsync(string[] args)
    {
        var root = new DirectoryInfo(Directory.GetCurrentDirectory());
        while (root.Parent is not null && !File.Exists(Path.Combine(root.FullName, "ElectisSpace.sln"))) root = root.Parent;
        if (!File.Exists(Path.Combine(root.FullName, "ElectisSpace.sln"))) root = new DirectoryInfo(Directory.GetCurrentDirectory());
        var path = Path.GetFullPath(args.FirstOrDefault() ?? Path.Combine("docs", "openapi.json"), root.FullName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, OpenApiDocument.ToJson(ApiRoutes.All));
        Console.WriteLine($"Wrote {path}");
        return 0;
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i + 1 < args.Length; i++)
            if (args[i].StartsWith("--", StringComparison.Ordinal) && !args[i].Contains('=')) d[args[i][2..]] = args[++i];
        return d;
    }
}
