using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Routing;

/// <summary>A query-string parameter of a route, for the API description.</summary>
public sealed record QueryParam(string Name, string Type, string Description, string[]? Enum = null);

/// <summary>
/// One route of the API. Pattern is relative to /api (the Functions default route prefix, also used by Standalone).
/// Every route parameter carries a constraint (ids are {id:guid}): the Functions host does not rank literal segments
/// above parameters (azure-functions-host#9876) and would hand GET users/me to users/{id}; a constraint the literal
/// can't satisfy keeps every literal route reachable on both hosts.
/// Name is the Azure Functions function name of the trigger serving the same route.
/// The init-only properties describe the route for the OpenAPI document; tests check them against behaviour
/// (the permission matrix test drives every route from its Permission).
/// </summary>
public sealed partial record ApiRoute(string Method, string Pattern, string Name, Func<HttpRequest, Task<IResult>> Handler)
{
    /// <summary>The path as documented in OpenAPI: under /api, constraints dropped ("/api/users/{id}").</summary>
    public string DocumentPath => "/api/" + ConstraintRegex().Replace(Pattern, "{$1}");

    private static readonly object CurrentKey = new();

    /// <summary>The route this request is being served under, or null when a handler was called outside any route.</summary>
    public static ApiRoute? Current(HttpContext context) => context.Items.TryGetValue(CurrentKey, out var r) ? r as ApiRoute : null;

    internal static void SetCurrent(HttpContext context, ApiRoute route) => context.Items[CurrentKey] = route;

    [System.Text.RegularExpressions.GeneratedRegex(@"\{(\w+):[^}]+\}")]
    private static partial System.Text.RegularExpressions.Regex ConstraintRegex();

    public string Summary { get; init; } = "";
    /// <summary>The capability folder, used as the OpenAPI tag.</summary>
    public string Tag { get; init; } = "";
    /// <summary>Permission the pipeline demands (the one declaration); null with Auth = Bearer means any signed-in user.</summary>
    public Permission? Permission { get; init; }
    public RouteAuth Auth { get; init; } = RouteAuth.Bearer;
    /// <summary>A Bearer route that also takes a one-use ticket (?ticket=) instead of the header: the event stream, for browsers' EventSource.</summary>
    public bool AcceptsTicket { get; init; }
    /// <summary>JSON request body type, if any.</summary>
    public Type? Request { get; init; }
    /// <summary>Content type of a non-JSON request body (e.g. text/csv or multipart/form-data).</summary>
    public string? RequestContentType { get; init; }
    /// <summary>Success response body type; with Paged the body is PagedResponse of it.</summary>
    public Type? Response { get; init; }
    /// <summary>Content type of a non-JSON success body (e.g. text/csv for exports); Response is then ignored.</summary>
    public string? ResponseContentType { get; init; }
    public bool Paged { get; init; }
    /// <summary>The success answer sets (or, on logout, clears) the HttpOnly refreshToken cookie.</summary>
    public bool SetsRefreshCookie { get; init; }
    public int SuccessStatus { get; init; } = 200;
    /// <summary>Other statuses that answer with the same Response body (e.g. readiness: 503 when degraded).</summary>
    public int[] AlternateStatuses { get; init; } = [];
    /// <summary>Error codes this route can answer besides the authentication/permission/rate-limit ones.</summary>
    public string[] Errors { get; init; } = [];
    public QueryParam[] Query { get; init; } = [];
}

public enum RouteAuth { Public, Bearer, RefreshToken }

/// <summary>Shorthands for building route tables.</summary>
public static class Route
{
    public static ApiRoute Get(string p, string n, Func<HttpRequest, Task<IResult>> h) => new("GET", p, n, h);
    public static ApiRoute Post(string p, string n, Func<HttpRequest, Task<IResult>> h) => new("POST", p, n, h);
    public static ApiRoute Patch(string p, string n, Func<HttpRequest, Task<IResult>> h) => new("PATCH", p, n, h);
    public static ApiRoute Delete(string p, string n, Func<HttpRequest, Task<IResult>> h) => new("DELETE", p, n, h);

    /// <summary>Adapts an (HttpRequest, id) handler to read {id} from the route values (both hosts route with the same templates and fill them).</summary>
    public static Func<HttpRequest, Task<IResult>> WithId(Func<HttpRequest, string?, Task<IResult>> h) =>
        req => h(req, req.RouteValues["id"]?.ToString());

    public static readonly QueryParam[] PageParams =
    [
        new("page", "integer", "1-based page number (default 1)."),
        new("limit", "integer", "Rows per page (default and maximum depend on the route)."),
    ];

    /// <summary>Keyset paging, on the lists whose answers carry pagination.nextCursor.</summary>
    public static readonly QueryParam CursorParam = new("cursor", "string",
        "pagination.nextCursor of the previous answer: the next page at the cost of the first, however deep (instead of page; same sort and limit).");
}
