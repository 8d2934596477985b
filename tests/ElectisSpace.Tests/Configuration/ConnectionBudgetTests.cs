using System.Text.Json;
using System.Text.RegularExpressions;

namespace ElectisSpace.Tests.Configuration;

/// <summary>
/// On Azure every Function App instance keeps its own pool, so the instance limit × Database:MaxPoolSize, plus what Azure
/// and the operators hold, must fit the PostgreSQL SKU's max_connections, or scale-out ends in "too many clients".
/// Computed from each environment's parameters (the .bicepparam files, and azd's main.parameters.json with its defaults),
/// falling back to main.bicep's defaults. docs/adr/0005-connection-budget-and-least-privilege.md.
/// </summary>
public sealed partial class ConnectionBudgetTests
{
    /// <summary>
    /// Default max_connections of Azure Database for PostgreSQL Flexible Server per SKU (the "Limits" page of its docs).
    /// A SKU not listed fails the test: add it from that page.
    /// </summary>
    private static readonly Dictionary<string, int> MaxConnections = new(StringComparer.Ordinal)
    {
        ["Standard_B1ms"] = 50,
        ["Standard_B2s"] = 429,
        ["Standard_B2ms"] = 859,
        ["Standard_B4ms"] = 1718,
        ["Standard_D2ds_v5"] = 859,
        ["Standard_D4ds_v5"] = 1718,
        ["Standard_D8ds_v5"] = 3437,
        ["Standard_E2ds_v5"] = 1718,
        ["Standard_E4ds_v5"] = 3437,
    };

    /// <summary>Connections the service keeps for replication and monitoring (the same page: max user connections = max − 15).</summary>
    private const int AzureReserved = 15;

    /// <summary>The deploy step's migrations and `app-login`, an operator's psql or the portal's query editor.</summary>
    private const int OperatorReserve = 5;

    public static TheoryData<string> Environments() => new() { "main.dev.bicepparam", "main.prod.bicepparam", "main.parameters.json" };

    [Theory]
    [MemberData(nameof(Environments))]
    public void Every_instance_at_its_full_pool_fits_the_servers_max_connections(string parameterFile)
    {
        var p = EnvironmentParameters(parameterFile);
        var sku = p["postgresSkuName"];
        Assert.True(MaxConnections.TryGetValue(sku, out var maxConnections),
            $"{parameterFile}: no max_connections known for {sku}; add it to {nameof(MaxConnections)} from the Flexible Server limits page");
        var instances = int.Parse(p["maximumInstanceCount"]);
        var pool = int.Parse(p["databaseMaxPoolSize"]);
        var needed = instances * pool + AzureReserved + OperatorReserve;
        Assert.True(needed <= maxConnections,
            $"{parameterFile}: {instances} instances × {pool} connections + {AzureReserved} Azure + {OperatorReserve} operators = {needed} > {maxConnections} (max_connections of {sku})");
    }

    [Fact]
    public void The_apps_pool_size_is_the_parameter_the_budget_is_computed_from()
    {
        Assert.Equal("string(databaseMaxPoolSize)", SettingsNamesTests.InfraSettings()["Database:MaxPoolSize"]);
        Assert.Contains("maximumInstanceCount: maximumInstanceCount", File.ReadAllText(InfraPath("main.bicep")));
    }

    [Fact]
    public void No_firewall_rule_opens_the_server_to_all_of_Azure()
    {
        foreach (var file in Directory.EnumerateFiles(InfraPath(""), "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".bicep", StringComparison.Ordinal) || f.EndsWith(".bicepparam", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            Assert.False(text.Contains("AllowAllAzureServices", StringComparison.OrdinalIgnoreCase), $"{file} names the all-Azure firewall rule");
            Assert.False(text.Contains("startIpAddress: '0.0.0.0'", StringComparison.Ordinal), $"{file} opens the firewall at 0.0.0.0");
        }
        Assert.Contains("r.startIpAddress != '0.0.0.0'", File.ReadAllText(InfraPath(Path.Combine("app", "postgres.bicep"))));
    }

    private static string InfraPath(string relative) => Path.Combine(SettingsNamesTests.RepoRoot(), "infra", relative);

    /// <summary>main.bicep's defaults overlaid with the file's values (azd's "${NAME=default}": the default).</summary>
    private static Dictionary<string, string> EnvironmentParameters(string parameterFile)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in BicepParamDefault().Matches(File.ReadAllText(InfraPath("main.bicep"))))
            values[m.Groups["name"].Value] = Unquote(m.Groups["value"].Value);
        var text = File.ReadAllText(InfraPath(parameterFile));
        if (parameterFile.EndsWith(".json", StringComparison.Ordinal))
        {
            using var doc = JsonDocument.Parse(text);
            foreach (var p in doc.RootElement.GetProperty("parameters").EnumerateObject())
            {
                var value = p.Value.GetProperty("value").ToString();
                if (AzdDefault().Match(value) is { Success: true } d) values[p.Name] = d.Groups["default"].Value;
                else if (!value.Contains("${", StringComparison.Ordinal)) values[p.Name] = value;
            }
        }
        else
        {
            foreach (Match m in BicepParamValue().Matches(text)) values[m.Groups["name"].Value] = Unquote(m.Groups["value"].Value);
        }
        foreach (var name in new[] { "postgresSkuName", "maximumInstanceCount", "databaseMaxPoolSize" })
            Assert.True(values.ContainsKey(name), $"{parameterFile}: no value for {name} (nor a default in main.bicep)");
        return values;
    }

    private static string Unquote(string value) => value.Trim().Trim('\'');

    [GeneratedRegex(@"^param (?<name>\w+) \w+ = (?<value>[^\r\n]+)$", RegexOptions.Multiline)]
    private static partial Regex BicepParamDefault();

    [GeneratedRegex(@"^param (?<name>\w+) = (?<value>[^\r\n]+)$", RegexOptions.Multiline)]
    private static partial Regex BicepParamValue();

    [GeneratedRegex(@"^\$\{\w+=(?<default>[^}]*)\}$")]
    private static partial Regex AzdDefault();
}
