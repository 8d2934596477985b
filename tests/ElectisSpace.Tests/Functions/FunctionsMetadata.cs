using System.Reflection;
using System.Text.Json;
using ElectisSpace.Functions;

namespace ElectisSpace.Tests.Functions;

/// <summary>One function as the Functions host reads it from functions.metadata (written by the Worker SDK at build).</summary>
public sealed record FunctionEntry(string Name, string EntryPoint, string ScriptFile, IReadOnlyList<HttpBinding> HttpTriggers);

public sealed record HttpBinding(IReadOnlyList<string> Methods, string? Route, string? AuthLevel);

public static class FunctionsMetadata
{
    public const string FileName = "functions.metadata";

    /// <summary>
    /// The functions.metadata of the Functions app build these tests run against: the copy next to the test assembly
    /// (the project reference brings the app's build output along), else the app's own output for the same configuration
    /// and framework. A missing file is a failure, never a skip.
    /// </summary>
    public static string Locate()
    {
        var local = Path.Combine(AppContext.BaseDirectory, FileName);
        if (File.Exists(local)) return local;
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dir = output;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ElectisSpace.sln"))) dir = dir.Parent;
        var own = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("ElectisSpace.sln not found"),
            "functions", "ElectisSpace.Functions", "bin", output.Parent!.Name, output.Name, FileName);
        return File.Exists(own) ? own
            : throw new FileNotFoundException($"No {FileName} next to the tests nor at {own}: build functions/ElectisSpace.Functions.");
    }

    public static IReadOnlyList<FunctionEntry> Read(string? path = null)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path ?? Locate()));
        return doc.RootElement.EnumerateArray().Select(f => new FunctionEntry(
            f.GetProperty("name").GetString()!,
            f.GetProperty("entryPoint").GetString()!,
            f.GetProperty("scriptFile").GetString()!,
            f.GetProperty("bindings").EnumerateArray()
                .Where(b => string.Equals(Prop(b, "type"), "httpTrigger", StringComparison.OrdinalIgnoreCase))
                .Select(b => new HttpBinding(
                    b.TryGetProperty("methods", out var m) ? m.EnumerateArray().Select(x => x.GetString()!.ToUpperInvariant()).ToList() : [],
                    Prop(b, "route"), Prop(b, "authLevel")))
                .ToList())).ToList();
    }

    /// <summary>The method the host invokes for the entry ("Namespace.Type.Method" in the Functions app assembly).</summary>
    public static MethodInfo Method(FunctionEntry f)
    {
        var dot = f.EntryPoint.LastIndexOf('.');
        var type = typeof(FunctionsApp).Assembly.GetType(f.EntryPoint[..dot], throwOnError: true)!;
        return type.GetMethod(f.EntryPoint[(dot + 1)..], BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance)
               ?? throw new InvalidOperationException($"{f.Name}: no method {f.EntryPoint}");
    }

    private static string? Prop(JsonElement e, string name) =>
        e.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value is { ValueKind: JsonValueKind.String } v
            ? v.GetString() : null;
}
