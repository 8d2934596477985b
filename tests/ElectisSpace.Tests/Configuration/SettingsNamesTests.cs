using System.Text.Json;
using System.Text.RegularExpressions;
using ElectisSpace.Core.Configuration;

namespace ElectisSpace.Tests.Configuration;

/// <summary>local.settings.sample.json and the code agree on every setting name, both ways.</summary>
public sealed partial class SettingsNamesTests
{
    private static string RepoRoot()
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

    [Fact]
    public void The_sample_lists_every_setting_the_code_reads_and_nothing_else()
    {
        var sample = SampleNames();
        var code = SettingNames.All.Concat(SettingNames.FunctionsHost).ToHashSet();
        Assert.Empty(code.Except(sample));   // read by the code but missing from the sample
        Assert.Empty(sample.Except(code));   // in the sample but never read
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
}
