using System.Reflection;
using ElectisSpace.Core.Routing;
using ElectisSpace.Functions;
using Microsoft.Azure.Functions.Worker;

namespace ElectisSpace.Tests.Functions;

/// <summary>
/// The Functions app serves exactly the route table, judged from what the Functions host reads: the functions.metadata
/// the Worker SDK writes into the app's build output. Non-HTTP functions (queue, timer, Durable) are not routes and are
/// left out of the route comparison.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly IReadOnlyList<FunctionEntry> Functions = FunctionsMetadata.Read();
    private static readonly List<FunctionEntry> Http = Functions.Where(f => f.HttpTriggers.Count > 0).ToList();

    [Fact]
    public void The_metadata_describes_this_build_of_the_app()
    {
        // Every [Function] method compiled into the app is in the metadata under its name, and nothing else is: a stale
        // or foreign file fails here rather than passing the comparisons below.
        var compiled = typeof(FunctionsApp).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attr: m.GetCustomAttribute<FunctionAttribute>()))
            .Where(x => x.Attr is not null)
            .Select(x => $"{x.Attr!.Name} {x.Method.DeclaringType!.FullName}.{x.Method.Name}")
            .Order().ToList();
        Assert.NotEmpty(compiled);
        Assert.Equal(compiled, Functions.Select(f => $"{f.Name} {f.EntryPoint}").Order().ToList());
        Assert.All(Functions, f => Assert.Equal(typeof(FunctionsApp).Assembly.GetName().Name + ".dll", f.ScriptFile));
    }

    [Fact]
    public void Every_route_has_exactly_one_anonymous_http_function_with_its_name_method_and_template()
    {
        foreach (var route in ApiRoutes.All)
        {
            var serving = Http.Where(f => f.HttpTriggers.Any(t => t.Route == route.Pattern && t.Methods.Contains(route.Method))).ToList();
            var f = Assert.Single(serving);
            Assert.Equal(route.Name, f.Name);
            var trigger = Assert.Single(f.HttpTriggers);
            Assert.Equal([route.Method], trigger.Methods);
            Assert.Equal("Anonymous", trigger.AuthLevel); // the pipeline authenticates; no function keys in front of it
        }
    }

    [Fact]
    public void There_is_no_http_function_beyond_the_route_table()
    {
        var routes = ApiRoutes.All.Select(r => $"{r.Name} {r.Method} {r.Pattern}").Order().ToList();
        var functions = Http.SelectMany(f => f.HttpTriggers.SelectMany(t => t.Methods.Select(m => $"{f.Name} {m} {t.Route}"))).Order().ToList();
        Assert.Equal(routes, functions);
    }
}
