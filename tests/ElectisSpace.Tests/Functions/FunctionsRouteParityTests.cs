using System.Text.RegularExpressions;
using ElectisSpace.Core.Routing;

namespace ElectisSpace.Tests.Functions;

/// <summary>
/// The Functions app can't be compiled here (its packages don't restore), so its trigger sources are read as text:
/// every route of the one route table has exactly one thin trigger with the same name, method and route, and nothing else.
/// </summary>
public sealed partial class FunctionsRouteParityTests
{
    private sealed record Trigger(string Name, string Method, string Route, string Body);

    private static IReadOnlyList<Trigger> Triggers()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ElectisSpace.sln"))) dir = dir.Parent;
        var functions = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("ElectisSpace.sln not found"), "functions", "ElectisSpace.Functions");
        return Directory.EnumerateFiles(functions, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => TriggerRegex().Matches(File.ReadAllText(f)))
            .Select(m => new Trigger(m.Groups["name"].Value, m.Groups["method"].Value.ToUpperInvariant(), m.Groups["route"].Value, m.Groups["body"].Value.Trim()))
            .ToList();
    }

    [Fact]
    public void Every_route_has_exactly_one_trigger_and_every_trigger_a_route()
    {
        var triggers = Triggers().Select(t => (t.Name, t.Method, t.Route)).ToList();
        var routes = ApiRoutes.All.Select(r => (r.Name, r.Method, r.Pattern)).ToList();
        Assert.Equal(triggers.Count, triggers.Distinct().Count());
        Assert.Empty(routes.Except(triggers));   // routes with no trigger
        Assert.Empty(triggers.Except(routes));   // triggers with no route
    }

    [Fact]
    public void Every_trigger_is_one_call_into_the_shared_handler_of_its_route()
    {
        foreach (var t in Triggers())
            // Full-sync starts also pass the Durable client binding, wrapped as the handler's IFullSyncStarter.
            Assert.Matches(@"^\w+Handlers\.\w+\(req(, id)?(, new DurableFullSyncStarter\(client, req\.HttpContext\.RequestServices\))?\);$", t.Body);
    }

    [GeneratedRegex("""\[Function\("(?<name>[^"]+)"\)\]\s*public static Task<IResult> \w+\(\[HttpTrigger\(AuthorizationLevel\.Anonymous, "(?<method>[a-z]+)", Route = "(?<route>[^"]+)"\)\] HttpRequest req(, string id)?(, \[DurableClient\] DurableTaskClient client)?\) =>(?<body>[^\n]+)""")]
    private static partial Regex TriggerRegex();
}
