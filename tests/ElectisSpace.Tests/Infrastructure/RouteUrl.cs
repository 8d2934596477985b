using System.Text.RegularExpressions;
using ElectisSpace.Core.Routing;

namespace ElectisSpace.Tests.Infrastructure;

/// <summary>A request URL for a route of the table, its parameters ({id:guid}) filled with the given id.</summary>
public static partial class RouteUrl
{
    public static string For(ApiRoute route, Guid? id = null) =>
        "/api/" + Parameter().Replace(route.Pattern, (id ?? Guid.NewGuid()).ToString());

    [GeneratedRegex(@"\{\w+(:[^}]+)?\}")]
    private static partial Regex Parameter();
}
