using System.Net;
using System.Net.Http.Json;
using System.Text;
using ElectisSpace.Core.Routing;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;

namespace ElectisSpace.Tests.Routing;

/// <summary>
/// No route can take another's requests, whatever order a host tries them in. The Functions host does not rank
/// literal segments above parameters (azure-functions-host#9876): without constraints, GET /api/users/me could be
/// served by Users_Get with id "me". Both hosts serve the same templates, so proving it on the templates covers both;
/// the HTTP tests prove it on the Standalone host end to end.
/// </summary>
public sealed class RoutePrecedenceTests(TestApp app) : IClassFixture<TestApp>
{
    private static readonly IDictionary<string, Type> Constraints = new RouteOptions().ConstraintMap;

    [Fact]
    public void Every_route_parameter_carries_a_constraint()
    {
        foreach (var route in ApiRoutes.All)
            foreach (var p in RoutePatternFactory.Parse(route.Pattern).Parameters)
                Assert.True(p.ParameterPolicies.Count > 0, $"{route.Name}: parameter {{{p.Name}}} has no constraint");
    }

    [Fact]
    public void Every_request_of_a_route_matches_that_route_and_no_other()
    {
        foreach (var route in ApiRoutes.All)
        {
            var path = SamplePath(route);
            var matching = ApiRoutes.All.Where(r => r.Method == route.Method && Matches(r, path)).Select(r => r.Name).ToList();
            Assert.True(matching.SequenceEqual([route.Name]), $"{route.Method} /api/{path} is matched by [{string.Join(", ", matching)}]");
        }
    }

    [Theory]
    [InlineData("users/me")]
    [InlineData("people/lists")]
    [InlineData("people/import")]
    [InlineData("spaces/import")]
    [InlineData("audit/export")]
    public void A_literal_segment_is_not_an_id(string path)
    {
        var shadows = ApiRoutes.All.Where(r => r.Pattern.Contains('{') && Matches(r, path)).Select(r => r.Name).ToList();
        Assert.Empty(shadows);
        Assert.Contains(ApiRoutes.All, r => r.Pattern == path); // and the literal route itself exists
    }

    [Fact]
    public async Task Literal_routes_answer_as_themselves_on_the_host()
    {
        var org = await app.CreateOrgAsync();
        var me = await HttpAssert.Status(await org.Admin.GetAsync("/api/users/me"), HttpStatusCode.OK);
        Assert.Equal(org.AdminEmail, me.GetProperty("email").GetString());

        var lists = await HttpAssert.Status(await org.Admin.GetAsync("/api/people/lists"), HttpStatusCode.OK);
        Assert.Equal(0, lists.GetProperty("pagination").GetProperty("total").GetInt32());

        var created = await HttpAssert.Status(await org.Admin.PostAsJsonAsync("/api/people/lists", new { name = "Morning" }), HttpStatusCode.Created);
        Assert.Equal("Morning", created.GetProperty("name").GetString());

        var import = await org.Admin.PostAsync("/api/spaces/import", new StringContent("externalId\nS-1\n", Encoding.UTF8, "text/csv"));
        var imported = await HttpAssert.Status(import, HttpStatusCode.OK);
        Assert.Equal(1, imported.GetProperty("totalRows").GetInt32());

        var export = await org.Admin.GetAsync("/api/audit/export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("GET", "/api/users/not-a-uuid")]
    [InlineData("GET", "/api/people/lists/123")]
    [InlineData("PATCH", "/api/spaces/S-1")]
    [InlineData("POST", "/api/people/me/assign")]
    [InlineData("GET", "/api/no-such-route")]
    public async Task A_path_no_route_matches_answers_404_in_the_envelope(string method, string url)
    {
        var org = await app.CreateOrgAsync();
        var req = new HttpRequestMessage(new HttpMethod(method), url);
        if (method != "GET") req.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        await HttpAssert.Status(await org.Admin.SendAsync(req), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task A_literal_route_with_the_wrong_method_answers_405_not_an_id_route()
    {
        var org = await app.CreateOrgAsync();
        // PATCH users/{id} exists, but "me" is no uuid: the only candidate is GET users/me, hence 405.
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync("/api/users/me", new { firstName = "X" }),
            HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
    }

    /// <summary>A concrete request path for the route: each parameter filled with a value its constraint accepts.</summary>
    private static string SamplePath(ApiRoute route) =>
        string.Join('/', RoutePatternFactory.Parse(route.Pattern).PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart l => l.Content,
            RoutePatternParameterPart { ParameterPolicies: [{ Content: "guid" }] } => Guid.NewGuid().ToString(),
            RoutePatternParameterPart x => throw new InvalidOperationException($"{route.Name}: no sample value for {{{x.Name}}}"),
            _ => throw new InvalidOperationException(route.Name),
        }))));

    /// <summary>Whether the route's template, constraints included, accepts the path (what either host checks).</summary>
    private static bool Matches(ApiRoute route, string path)
    {
        var values = new RouteValueDictionary();
        if (!new TemplateMatcher(TemplateParser.Parse(route.Pattern), new RouteValueDictionary()).TryMatch("/" + path, values)) return false;
        foreach (var p in RoutePatternFactory.Parse(route.Pattern).Parameters)
            foreach (var policy in p.ParameterPolicies)
            {
                var constraint = (IRouteConstraint)Activator.CreateInstance(Constraints[policy.Content!])!;
                if (!constraint.Match(null, null, p.Name, values, RouteDirection.IncomingRequest)) return false;
            }
        return true;
    }
}
