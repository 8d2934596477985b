using ElectisSpace.Core;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Common;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Organizations;
using ElectisSpace.Core.Routing;

namespace ElectisSpace.Standalone;

/// <summary>Command-line tasks that share the server's configuration.</summary>
public static class Commands
{
    /// <summary>seed-admin --org NAME [--code CODE] --email EMAIL --password PASSWORD: an organization and its first admin.</summary>
    public static async Task<int> SeedAdminAsync(string[] args)
    {
        var options = ParseOptions(args);
        if (!options.TryGetValue("org", out var org) || !options.TryGetValue("email", out var email) || !options.TryGetValue("password", out var password))
        {
            await Console.Error.WriteLineAsync("usage: seed-admin --org NAME [--code CODE] --email EMAIL --password PASSWORD");
            return 64;
        }
        try
        {
            var builder = WebApplication.CreateBuilder([.. args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('='))]);
            builder.Services.AddElectisSpace(builder.Configuration);
            await using var app = builder.Build();
            await StandaloneHost.MigrateAsync(app.Services);
            var created = await OrganizationSetup.CreateAsync(app.Services.GetRequiredService<Db>(),
                app.Services.GetRequiredService<Passwords>(), org, options.GetValueOrDefault("code"), email, password);
            Console.WriteLine($"Created organization '{org}' (code {created.Code}, id {created.OrgId}) with admin {created.AdminEmail}.");
            return 0;
        }
        catch (ApiException e)
        {
            var details = e.Details is IEnumerable<FieldError> fe ? " " + string.Join("; ", fe.Select(f => $"{f.Field}: {f.Message}")) : "";
            await Console.Error.WriteLineAsync($"seed-admin failed: {e.Message}{details}");
            return 1;
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"seed-admin failed: {e.Message}");
            return 2;
        }
    }

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
