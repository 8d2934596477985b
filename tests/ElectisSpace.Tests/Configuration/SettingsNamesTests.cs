using System.Text.Json;
using System.Text.RegularExpressions;
using ElectisSpace.Core.Configuration;

namespace ElectisSpace.Tests.Configuration;

/// <summary>
/// The code, local.settings.sample.json and the Function App's settings in Bicep (infra/app/appsettings.bicep)
/// agree on every setting name: a setting missing from any of them fails here.
/// </summary>
public sealed partial class SettingsNamesTests
{
    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "local.settings.sample.json"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repo root (local.settings.sample.json) not found");
    }

    private static HashSet<string> SampleNames()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "local.settings.sample.json")));
        return doc.RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name.Replace("__", ":")).ToHashSet();
    }

    /// <summary>Settings named in trigger attributes or host.json as binding expressions ("%Sync:PullSchedule%"): the host reads them.</summary>
    private static HashSet<string> BindingExpressionNames()
    {
        var functions = Path.Combine(RepoRoot(), "functions", "ElectisSpace.Functions");
        return Directory.EnumerateFiles(functions, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Append(Path.Combine(functions, "host.json"))
            .SelectMany(f => BindingExpression().Matches(File.ReadAllText(f)))
            .Select(m => m.Groups["name"].Value.Replace("__", ":"))
            .ToHashSet();
    }

    private static HashSet<string> CodeNames() =>
        SettingNames.All.Concat(SettingNames.FunctionsHost).Concat(BindingExpressionNames()).ToHashSet();

    /// <summary>The keys and values of the `appSettings` object in infra/app/appsettings.bicep, names with ":".</summary>
    internal static Dictionary<string, string> InfraSettings()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoRoot(), "infra", "app", "appsettings.bicep"));
        var start = Array.FindIndex(lines, l => l.TrimEnd() == "var appSettings = {");
        Assert.True(start >= 0, "infra/app/appsettings.bicep must declare `var appSettings = {` (the one list of app settings)");
        var settings = new Dictionary<string, string>();
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => l.TrimEnd() != "}"))
        {
            if (BicepProperty().Match(line) is { Success: true } m)
                Assert.True(settings.TryAdd(m.Groups["key"].Value.Replace("__", ":"), m.Groups["value"].Value.Trim()), $"duplicate setting {m.Groups["key"].Value}");
        }
        return settings;
    }

    /// <summary>Set by the platform outside the settings list: on Flex Consumption the worker runtime is functionAppConfig.runtime.</summary>
    private static readonly Dictionary<string, string> SetElsewhereInInfra = new()
    {
        ["FUNCTIONS_WORKER_RUNTIME"] = "name: 'dotnet-isolated'",
    };

    /// <summary>Read by the Functions host itself (not by our code, so not in the sample): Application Insights with Entra auth.</summary>
    private static readonly HashSet<string> PlatformSettings = ["APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"];

    /// <summary>Secrets: in Azure they must be Key Vault references, never values.</summary>
    private static readonly string[] Secrets = [SettingNames.DatabaseConnectionString, SettingNames.JwtSigningKey, SettingNames.SettingsEncryptionKey];

    [Fact]
    public void The_sample_lists_every_setting_the_code_reads_and_nothing_else()
    {
        var sample = SampleNames();
        var code = CodeNames();
        Assert.Empty(code.Except(sample));   // read by the code but missing from the sample
        Assert.Empty(sample.Except(code));   // in the sample but never read
    }

    [Fact]
    public void Infra_sets_every_setting_the_code_reads_and_nothing_else()
    {
        var infra = InfraSettings();
        var functionApp = File.ReadAllText(Path.Combine(RepoRoot(), "infra", "app", "functionapp.bicep"));

        // An identity-based connection is a section: AzureWebJobsStorage__queueServiceUri... stand for AzureWebJobsStorage.
        bool InInfra(string name) =>
            infra.ContainsKey(name) || infra.Keys.Any(k => k.StartsWith(name + ":", StringComparison.Ordinal))
            || (SetElsewhereInInfra.TryGetValue(name, out var marker) && functionApp.Contains(marker));
        var missing = CodeNames().Where(n => !InInfra(n)).ToList();
        Assert.True(missing.Count == 0, $"read by the code but not set in infra/app/appsettings.bicep: {string.Join(", ", missing)}");

        var code = CodeNames();
        var unknown = infra.Keys.Where(k => !code.Contains(k) && !code.Contains(k.Split(':')[0]) && !PlatformSettings.Contains(k)).ToList();
        Assert.True(unknown.Count == 0, $"set in infra/app/appsettings.bicep but never read: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void Infra_takes_secrets_from_Key_Vault_and_storage_by_identity()
    {
        var infra = InfraSettings();
        foreach (var secret in Secrets)
            Assert.StartsWith("'@Microsoft.KeyVault(SecretUri=", infra[secret]);
        Assert.DoesNotContain(infra, kv => kv.Value.Contains("AccountKey", StringComparison.OrdinalIgnoreCase) || kv.Value.Contains("Password=", StringComparison.OrdinalIgnoreCase));
        Assert.False(infra.ContainsKey("AzureWebJobsStorage"), "AzureWebJobsStorage must be identity-based (AzureWebJobsStorage__queueServiceUri...), not a connection string");
        Assert.Equal("'managedidentity'", infra["AzureWebJobsStorage:credential"]);
        Assert.Equal("'false'", infra[SettingNames.DatabaseRunMigrations]);   // Flex allows 30 s to start: the deploy hook migrates
    }

    [Fact]
    public void Only_ServerSettings_reads_configuration()
    {
        var root = RepoRoot();
        var offenders = Directory.EnumerateFiles(Path.Combine(root, "shared"), "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "functions"), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.EndsWith("ServerSettings.cs"))
            .Where(f => ConfigRead().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(root, f)).ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void A_missing_required_setting_stops_startup_naming_it()
    {
        var config = Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(new Microsoft.Extensions.Configuration.ConfigurationBuilder(),
                new Dictionary<string, string?> { ["Database:ConnectionString"] = "Host=x" }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => ServerSettings.Load(config));
        Assert.Contains("Jwt:SigningKey", e.Message);
    }

    // configuration["x"], GetValue<T>("x"), GetSection("x"), GetConnectionString("x"), Environment.GetEnvironmentVariable
    [GeneratedRegex(@"(Configuration|config|configuration)\s*\[\s*""|GetValue<|GetSection\(|GetConnectionString\(|GetEnvironmentVariable\(")]
    private static partial Regex ConfigRead();

    [GeneratedRegex(@"""%(?<name>[A-Za-z_][A-Za-z0-9_:.]*)%""")]
    private static partial Regex BindingExpression();

    // `  Name__Part: value` (a Bicep object property on one line; comments and blank lines don't match)
    [GeneratedRegex(@"^\s*(?<key>[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?<value>.+?)\s*$")]
    private static partial Regex BicepProperty();
}
