using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElectisSpace.Core.Routing;
using ElectisSpace.Functions;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace ElectisSpace.Tests.Functions;

/// <summary>
/// The Standalone host (over HTTP) and, over the same database with the same settings, the Functions app's own
/// container: FunctionsApp.CreateBuilder — what Program.cs builds — without starting the worker.
/// </summary>
public sealed class FunctionsAppFixture : TestApp
{
    public IHost Functions { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // The Functions app pushes through its Azure Storage queue trigger (nothing is sent here: the worker is not started).
        var settings = DefaultSettings(ConnectionString);
        settings["Queue:Provider"] = "AzureStorage";
        settings["AzureWebJobsStorage"] = "UseDevelopmentStorage=true";
        Functions = FunctionsApp.CreateBuilder([.. settings.Select(kv => $"--{kv.Key}={kv.Value}")]).Build();
    }

    public override async Task DisposeAsync()
    {
        Functions?.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>
/// Each Functions trigger, called as the worker calls it (a real HttpContext whose services come from the Functions
/// app's container, route values set as the worker's routing sets them, the returned IResult executed against the
/// context), answers what the Standalone host answers over HTTP for the same request.
/// </summary>
public sealed class FunctionsCompositionTests(FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>
{
    private IServiceProvider Fn => app.Functions.Services;

    [Fact]
    public async Task Health_answers_alike()
    {
        var viaFunction = await DirectCall.InvokeAsync(Fn, "GET", "/api/health", HealthFunctions.Live);
        await AssertSameAsync(await app.Client().GetAsync("/api/health"), viaFunction);
    }

    [Fact]
    public async Task Login_answers_alike_and_sets_the_refresh_cookie()
    {
        var org = await app.CreateOrgAsync();
        var body = new { email = org.AdminEmail, password = TestApp.AdminPassword, organization = org.Code };
        var viaFunction = await DirectCall.InvokeAsync(Fn, "POST", "/api/auth/login", AuthFunctions.Login, json: JsonSerializer.Serialize(body));
        var viaHost = await app.Client().PostAsJsonAsync("/api/auth/login", body);
        await AssertSameAsync(viaHost, viaFunction);
        Assert.StartsWith("refreshToken=", viaFunction.Headers.SetCookie.ToString());
        Assert.StartsWith("refreshToken=", viaHost.Headers.GetValues("Set-Cookie").Single());

        // The function's token is a real one: the Standalone host accepts it.
        var token = viaFunction.Json.GetProperty("accessToken").GetString()!;
        Assert.Equal(System.Net.HttpStatusCode.OK, (await app.Client(token).GetAsync("/api/users/me")).StatusCode);

        var wrong = new { email = org.AdminEmail, password = "Wrong-Passw0rd", organization = org.Code };
        await AssertSameAsync(await app.Client().PostAsJsonAsync("/api/auth/login", wrong),
            await DirectCall.InvokeAsync(Fn, "POST", "/api/auth/login", AuthFunctions.Login, json: JsonSerializer.Serialize(wrong)));
    }

    [Fact]
    public async Task Users_me_a_list_a_404_a_403_and_a_401_answer_alike()
    {
        var org = await app.CreateOrgAsync();
        var viewer = (await org.CreateUserAsync("viewer")).Token;

        await AssertSameAsync(await org.Admin.GetAsync("/api/users/me"),
            await DirectCall.InvokeAsync(Fn, "GET", "/api/users/me", UsersFunctions.Me, org.AdminToken));

        await AssertSameAsync(await org.Admin.GetAsync("/api/users?limit=1&page=2"),
            await DirectCall.InvokeAsync(Fn, "GET", "/api/users?limit=1&page=2", UsersFunctions.List, org.AdminToken));

        var missing = Guid.NewGuid().ToString();
        var notFound = await DirectCall.InvokeAsync(Fn, "GET", $"/api/users/{missing}", UsersFunctions.Get, org.AdminToken,
            routeValues: new Dictionary<string, string> { ["id"] = missing });
        Assert.Equal(404, notFound.Status);
        await AssertSameAsync(await org.Admin.GetAsync($"/api/users/{missing}"), notFound);

        // An existing row through the id route: the id reaches the handler from the route values.
        var self = await DirectCall.InvokeAsync(Fn, "GET", $"/api/users/{org.AdminId}", UsersFunctions.Get, org.AdminToken,
            routeValues: new Dictionary<string, string> { ["id"] = org.AdminId.ToString() });
        await AssertSameAsync(await org.Admin.GetAsync($"/api/users/{org.AdminId}"), self);

        var forbidden = await DirectCall.InvokeAsync(Fn, "GET", "/api/users", UsersFunctions.List, viewer);
        Assert.Equal(403, forbidden.Status);
        await AssertSameAsync(await app.Client(viewer).GetAsync("/api/users"), forbidden);

        var anonymous = await DirectCall.InvokeAsync(Fn, "GET", "/api/spaces", SpacesFunctions.List);
        Assert.Equal(401, anonymous.Status);
        await AssertSameAsync(await app.Client().GetAsync("/api/spaces"), anonymous);
    }

    [Fact]
    public async Task Every_http_function_serves_the_route_of_its_name_under_that_routes_authentication()
    {
        foreach (var f in FunctionsMetadata.Read().Where(f => f.HttpTriggers.Count > 0))
        {
            var route = ApiRoutes.Named(f.Name);
            var method = FunctionsMetadata.Method(f);
            HttpContext? seen = null;
            var answer = await DirectCall.InvokeAsync(Fn, route.Method, RouteUrl.For(route),
                // Bindings other than the request (the Durable client of the full-sync starts) are not reached
                // without a token: the route's authentication answers first.
                req => (Task<Microsoft.AspNetCore.Http.IResult>)method.Invoke(null, [req, .. new object?[method.GetParameters().Length - 1]])!,
                routeValues: new Dictionary<string, string> { ["id"] = Guid.NewGuid().ToString() },
                configure: ctx => seen = ctx);
            Assert.Same(route, ApiRoute.Current(seen!));
            if (route.Auth == RouteAuth.Bearer)
                Assert.True(answer.Status == 401, $"{f.Name} without a token answered {answer.Status} {answer.Body}");
            else
                Assert.True(answer.Status < 500 || route.AlternateStatuses.Contains(answer.Status), $"{f.Name} answered {answer.Status} {answer.Body}");
        }
    }

    /// <summary>Same status, same content type, same body apart from values that differ per call (tokens, clocks).</summary>
    private static async Task AssertSameAsync(HttpResponseMessage host, DirectAnswer function)
    {
        var hostBody = await host.Content.ReadAsStringAsync();
        Assert.True((int)host.StatusCode == function.Status, $"host {(int)host.StatusCode} {hostBody} / function {function.Status} {function.Body}");
        Assert.Equal(host.Content.Headers.ContentType?.MediaType,
            MediaTypeHeaderValue.TryParse(function.Headers.ContentType.ToString(), out var ct) ? ct.MediaType : null);
        Assert.Equal(Normalize(hostBody), Normalize(function.Body));
    }

    private static readonly HashSet<string> Volatile = ["accessToken", "refreshToken", "timestamp", "lastLogin", "updatedAt", "latencyMs"];

    private static string Normalize(string body)
    {
        if (body.Length == 0) return "";
        var node = JsonNode.Parse(body);
        Mask(node);
        return node!.ToJsonString();

        static void Mask(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (var key in o.Select(p => p.Key).ToList())
                        if (Volatile.Contains(key)) o[key] = "*";
                        else Mask(o[key]);
                    break;
                case JsonArray a:
                    foreach (var item in a) Mask(item);
                    break;
            }
        }
    }
}
