using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using ElectisSpace.Core.Routing;
using ElectisSpace.Core.Sync.Push;
using ElectisSpace.Tests.Configuration;
using Microsoft.Azure.Functions.Worker;

namespace ElectisSpace.Tests.Functions;

/// <summary>
/// The Functions app's package is what the host loads: functions.metadata lists exactly the app's [Function] methods
/// with their triggers (every route of the route table, and whatever queue, timer and Durable triggers exist),
/// worker.config.json points at the worker, extensions.json carries the extensions those triggers need, and queue
/// triggers listen on queues the infrastructure creates. CI points FUNCTIONS_PACKAGE_DIR at the `dotnet publish`
/// output; elsewhere the Functions project's build output (same files, built as this test project's reference) is read.
/// </summary>
public sealed partial class FunctionsPackageTests
{
    private sealed record Fn(string Name, string Trigger);

    private static string PackageDir()
    {
        if (Environment.GetEnvironmentVariable("FUNCTIONS_PACKAGE_DIR") is { Length: > 0 } dir) return dir;
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        return Path.Combine(SettingsNamesTests.RepoRoot(), "functions", "ElectisSpace.Functions", "bin", config, "net10.0");
    }

    private static JsonElement[] Metadata()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(PackageDir(), "functions.metadata")));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    private static JsonElement TriggerBinding(JsonElement function) =>
        function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    /// <summary>Every [Function] method of the compiled app with its trigger, named as functions.metadata names it (HttpTriggerAttribute → httpTrigger).</summary>
    private static HashSet<Fn> FunctionsInApp() =>
        typeof(ElectisSpace.Functions.HealthFunctions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
            .Where(x => x.Function is not null)
            .Select(x =>
            {
                var trigger = x.Method.GetParameters().SelectMany(p => p.GetCustomAttributes())
                    .Select(a => a.GetType().Name).Single(n => n.EndsWith("TriggerAttribute", StringComparison.Ordinal));
                trigger = trigger[..^"Attribute".Length];
                return new Fn(x.Function!.Name, char.ToLowerInvariant(trigger[0]) + trigger[1..]);
            })
            .ToHashSet();

    [Fact]
    public void The_package_has_the_files_the_host_loads()
    {
        var dir = PackageDir();
        foreach (var file in new[] { "functions.metadata", "worker.config.json", "extensions.json", "host.json" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing from {dir}");

        using var worker = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "worker.config.json")));
        var description = worker.RootElement.GetProperty("description");
        Assert.Equal("dotnet-isolated", description.GetProperty("language").GetString());
        Assert.True(File.Exists(Path.Combine(dir, description.GetProperty("defaultWorkerPath").GetString()!)), "the worker assembly named by worker.config.json is missing");

        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "host.json")));
        Assert.Equal("2.0", host.RootElement.GetProperty("version").GetString());
    }

    [Fact]
    public void functions_metadata_lists_exactly_the_functions_of_the_app_with_their_triggers()
    {
        var listed = Metadata().Select(f => new Fn(f.GetProperty("name").GetString()!, TriggerBinding(f).GetProperty("type").GetString()!)).ToList();
        Assert.Equal(listed.Count, listed.Distinct().Count());
        var inApp = FunctionsInApp();
        Assert.NotEmpty(inApp);
        Assert.Empty(inApp.Except(listed));   // in the app but the host wouldn't index it
        Assert.Empty(listed.Except(inApp));   // listed but not in this build of the app
    }

    [Fact]
    public void Every_route_of_the_route_table_is_an_http_function_in_the_package()
    {
        var http = Metadata().Select(f => (Name: f.GetProperty("name").GetString()!, Trigger: TriggerBinding(f)))
            .Where(f => f.Trigger.GetProperty("type").GetString() == "httpTrigger")
            .ToDictionary(f => f.Name, f => (Route: f.Trigger.GetProperty("route").GetString(),
                Methods: f.Trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()).ToList()));
        foreach (var route in ApiRoutes.All)
        {
            Assert.True(http.TryGetValue(route.Name, out var f), $"route {route.Name} has no HTTP function in functions.metadata");
            Assert.Equal(route.Pattern, f.Route);
            Assert.Equal([route.Method], f.Methods);
        }
    }

    [Fact]
    public void Non_http_triggers_have_their_extension_and_queues_exist_in_infra()
    {
        using var extensionsDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(PackageDir(), "extensions.json")));
        var extensions = extensionsDoc.RootElement.GetProperty("extensions").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToHashSet();
        var infraQueues = QueueNameInBicep().Matches(File.ReadAllText(Path.Combine(SettingsNamesTests.RepoRoot(), "infra", "main.bicep")))
            .Select(m => m.Groups["queue"].Value).ToHashSet();
        Assert.Contains(PushQueueNames.Push, infraQueues);
        Assert.Contains(PushQueueNames.Poison, infraQueues);

        foreach (var trigger in Metadata().Select(TriggerBinding))
        {
            switch (trigger.GetProperty("type").GetString())
            {
                case "queueTrigger":
                    Assert.Contains("AzureStorageQueues", extensions);
                    var queue = trigger.GetProperty("queueName").GetString()!;
                    Assert.True(queue.StartsWith('%') || infraQueues.Contains(queue), $"queue trigger on '{queue}', which infra/main.bicep does not create");
                    break;
                case "orchestrationTrigger" or "activityTrigger" or "entityTrigger":
                    Assert.Contains("DurableTask", extensions);
                    break;
            }
        }
    }

    [Fact]
    public void The_queues_infra_creates_are_the_ones_the_code_names()
    {
        var bicep = File.ReadAllText(Path.Combine(SettingsNamesTests.RepoRoot(), "infra", "main.bicep"));
        var vars = QueueNameInBicep().Matches(bicep).ToDictionary(m => m.Groups["var"].Value, m => m.Groups["queue"].Value);
        Assert.Equal(PushQueueNames.Push, vars.GetValueOrDefault("pushQueueName"));
        Assert.Equal(PushQueueNames.Poison, vars.GetValueOrDefault("pushPoisonQueueName"));
        Assert.Equal(PushQueueNames.Poison, PushQueueNames.PoisonOf(PushQueueNames.Push));
    }

    // var pushQueueName = 'aims-push' (infra/main.bicep names every queue it creates this way)
    [GeneratedRegex(@"var (?<var>\w+QueueName) = '(?<queue>[a-z0-9-]+)'")]
    private static partial Regex QueueNameInBicep();
}
