using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
using ElectisSpace.Core.Routing;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ElectisSpace.Tests.OpenApi;

/// <summary>The API describes itself: the checked-in document is current, complete, and matches what the server answers.</summary>
public sealed class OpenApiTests(TestApp app) : IClassFixture<TestApp>
{
    private static readonly Lazy<JsonElement> Document = new(() => JsonDocument.Parse(OpenApiDocument.ToJson(ApiRoutes.All)).RootElement.Clone());

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ElectisSpace.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("ElectisSpace.sln not found");
    }

    [Fact]
    public void The_checked_in_document_is_what_the_code_generates()
    {
        var path = Path.Combine(RepoRoot(), "docs", "openapi.json");
        Assert.True(File.Exists(path), $"docs/openapi.json is missing. Generate it with: {OpenApiDocument.RegenerateCommand}");
        var checkedIn = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(checkedIn == OpenApiDocument.ToJson(ApiRoutes.All),
            $"docs/openapi.json is stale: the routes or their types changed. Regenerate it with: {OpenApiDocument.RegenerateCommand}");
    }

    [Fact]
    public void The_document_is_valid_OpenAPI_3_1_for_client_generators()
    {
        // Microsoft.OpenApi (the reader behind many .NET client generators) parses and validates it without complaint.
        var result = Microsoft.OpenApi.OpenApiDocument.Parse(OpenApiDocument.ToJson(ApiRoutes.All), "json");
        Assert.Empty(result.Diagnostic!.Errors.Select(e => e.ToString()));
        Assert.Equal(Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_1, result.Diagnostic.SpecificationVersion);
        var problems = Microsoft.OpenApi.OpenApiElementExtensions.Validate(result.Document!, Microsoft.OpenApi.ValidationRuleSet.GetDefaultRuleSet());
        Assert.Empty(problems.Select(e => e.ToString()));
    }

    [Fact]
    public async Task The_host_serves_the_same_document_at_openapi_v1_json()
    {
        var res = await app.Client().GetAsync(OpenApiDocument.DocumentPath);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("application/json", res.Content.Headers.ContentType?.MediaType);
        Assert.Equal(OpenApiDocument.ToJson(ApiRoutes.All), await res.Content.ReadAsStringAsync());
        Assert.StartsWith("3.1", Document.Value.GetProperty("openapi").GetString());
    }

    [Fact]
    public void Every_served_route_is_documented_and_every_documented_route_is_served()
    {
        var served = app.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet();
        // The document names path parameters without their route constraints ({id:guid} is documented as {id}, format uuid).
        var servedPaths = served.Select(s => System.Text.RegularExpressions.Regex.Replace(s, @"\{(\w+):[^}]+\}", "{$1}")).ToHashSet();
        var documented = Document.Value.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(op => $"{op.Name.ToUpperInvariant()} {p.Name}"))
            .ToHashSet();
        Assert.NotEmpty(served);
        Assert.Empty(servedPaths.Except(documented));   // served but missing from the document
        Assert.Empty(documented.Except(servedPaths));   // documented but not served (phantom)
        // The route table is the one list both the host and the Functions parity test use.
        Assert.Equal(ApiRoutes.All.Select(r => $"{r.Method} /api/{r.Pattern}").ToHashSet(), served);
    }

    [Fact]
    public void Every_route_has_complete_metadata_and_operation()
    {
        Assert.Equal(ApiRoutes.All.Count, ApiRoutes.All.Select(r => r.Name).Distinct().Count());
        foreach (var route in ApiRoutes.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(route.Summary), $"{route.Name} has no Summary");
            Assert.False(string.IsNullOrWhiteSpace(route.Tag), $"{route.Name} has no Tag");
            if (route.SuccessStatus != 204 && route.ResponseContentType is null)
                Assert.True(route.Response is not null, $"{route.Name} answers {route.SuccessStatus} but declares no Response type");
            foreach (var code in route.Errors) ErrorCodes.Status(code); // throws on an unknown code

            var op = Document.Value.GetProperty("paths").GetProperty(route.DocumentPath).GetProperty(route.Method.ToLowerInvariant());
            Assert.Equal(route.Name, op.GetProperty("operationId").GetString());
            var responses = op.GetProperty("responses");
            Assert.True(responses.TryGetProperty(route.SuccessStatus.ToString(), out _), $"{route.Name}: success status not documented");
            Assert.True(responses.TryGetProperty("500", out _), $"{route.Name}: 500 not documented");
            if (route.Auth == RouteAuth.Bearer)
            {
                Assert.Contains("TOKEN_EXPIRED", responses.GetProperty("401").GetProperty("description").GetString());
                Assert.Equal("bearerAuth", op.GetProperty("security")[0].EnumerateObject().Single().Name);
            }
            if (route.Permission is not null) Assert.True(responses.TryGetProperty("403", out _), $"{route.Name}: 403 not documented");
            if (route.Auth == RouteAuth.RefreshToken)
                Assert.Equal("refreshCookie", op.GetProperty("security")[0].EnumerateObject().Single().Name);
            if (route.Auth == RouteAuth.Public) Assert.Equal(0, op.GetProperty("security").GetArrayLength());
        }
    }

    [Fact]
    public void Request_schemas_carry_required_fields_limits_and_enums()
    {
        var schemas = Document.Value.GetProperty("components").GetProperty("schemas");
        var login = schemas.GetProperty("LoginRequest");
        Assert.Equal(["email", "password"], login.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("email", login.GetProperty("properties").GetProperty("email").GetProperty("format").GetString());
        var create = schemas.GetProperty("CreateUserRequest").GetProperty("properties");
        Assert.Equal(100, create.GetProperty("firstName").GetProperty("maxLength").GetInt32());
        Assert.Equal(8, create.GetProperty("password").GetProperty("minLength").GetInt32());
        Assert.Contains("manager", create.GetProperty("role").GetProperty("enum").EnumerateArray().Select(e => e.ToString()));
    }

    [Fact]
    public async Task Real_responses_match_their_documented_schemas()
    {
        var org = await app.CreateOrgAsync();
        var anonymous = app.Client();

        // Success shapes.
        await Conforms(await anonymous.PostAsJsonAsync("/api/auth/login", new { email = org.AdminEmail, password = TestApp.AdminPassword, organization = org.Code }),
            "post", "/api/auth/login", HttpStatusCode.OK);
        await Conforms(await org.Admin.GetAsync("/api/users/me"), "get", "/api/users/me", HttpStatusCode.OK);
        var email = $"doc-{Guid.NewGuid():N}@example.test";
        await Conforms(await org.Admin.PostAsJsonAsync("/api/users", new { email, role = "viewer", firstName = "Doc" }), "post", "/api/users", HttpStatusCode.Created);
        await Conforms(await org.Admin.GetAsync("/api/users?limit=2"), "get", "/api/users", HttpStatusCode.OK);
        await Conforms(await org.Admin.GetAsync("/api/audit?limit=5"), "get", "/api/audit", HttpStatusCode.OK);
        await Conforms(await anonymous.GetAsync("/api/health"), "get", "/api/health", HttpStatusCode.OK);
        await Conforms(await org.Admin.GetAsync("/api/health/detailed"), "get", "/api/health/detailed", HttpStatusCode.OK);

        // Each documented error class.
        await Conforms(await anonymous.PostAsJsonAsync("/api/auth/login", new { email = "not-an-email" }), "post", "/api/auth/login", HttpStatusCode.BadRequest);
        await Conforms(await anonymous.PostAsJsonAsync("/api/auth/login", new { email = org.AdminEmail, password = "Wrong-Passw0rd" }),
            "post", "/api/auth/login", HttpStatusCode.Unauthorized);
        await Conforms(await anonymous.GetAsync("/api/users"), "get", "/api/users", HttpStatusCode.Unauthorized);
        await Conforms(await app.Client(ExpiredToken(org)).GetAsync("/api/users/me"), "get", "/api/users/me", HttpStatusCode.Unauthorized);
        var viewer = await org.ClientForRoleAsync("viewer");
        await Conforms(await viewer.GetAsync("/api/audit"), "get", "/api/audit", HttpStatusCode.Forbidden);
        await Conforms(await org.Admin.GetAsync($"/api/users/{Guid.NewGuid()}"), "get", "/api/users/{id}", HttpStatusCode.NotFound);
        await Conforms(await org.Admin.PostAsJsonAsync("/api/users", new { email }), "post", "/api/users", HttpStatusCode.Conflict);
        await Conforms(await org.Admin.PatchAsJsonAsync($"/api/users/{org.AdminId}", new { role = "viewer" }), "patch", "/api/users/{id}", HttpStatusCode.UnprocessableEntity);
        await Conforms(await org.Admin.PostAsync("/api/users", new StringContent("email=x", Encoding.UTF8, "text/plain")),
            "post", "/api/users", HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task The_refresh_cookie_is_documented_where_the_server_sets_it()
    {
        var org = await app.CreateOrgAsync();
        var res = await app.Client().PostAsJsonAsync("/api/auth/login", new { email = org.AdminEmail, password = TestApp.AdminPassword, organization = org.Code });
        Assert.Contains(res.Headers.GetValues("Set-Cookie"), c => c.StartsWith("refreshToken=", StringComparison.Ordinal) && c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        var cookieRoutes = ApiRoutes.All.Where(r => r.SetsRefreshCookie).Select(r => r.Name).Order().ToList();
        Assert.Equal(["Auth_Login", "Auth_Logout", "Auth_Refresh"], cookieRoutes);
        foreach (var route in ApiRoutes.All)
        {
            var success = Document.Value.GetProperty("paths").GetProperty(route.DocumentPath).GetProperty(route.Method.ToLowerInvariant())
                .GetProperty("responses").GetProperty(route.SuccessStatus.ToString());
            var documented = success.TryGetProperty("headers", out var headers) && headers.TryGetProperty("Set-Cookie", out _);
            Assert.True(documented == route.SetsRefreshCookie, $"{route.Name}: Set-Cookie documented = {documented}");
        }
    }

    [Fact]
    public async Task Real_domain_responses_match_their_documented_schemas()
    {
        var org = await app.CreateOrgAsync();
        var admin = org.Admin;
        var space = await admin.CreateSpaceAsync("DOC-1", "LBLDOC1");
        await admin.CreateSpaceAsync("DOC-2");
        var person = await admin.CreatePersonAsync("Dana Levi");
        var room = await admin.CreateRoomAsync("C77", "LBLDOC2");

        await Conforms(await admin.PostAsJsonAsync("/api/spaces", new { externalId = "DOC-3" }), "post", "/api/spaces", HttpStatusCode.Created);
        await Conforms(await admin.GetAsync("/api/spaces?limit=2&sort=-externalId"), "get", "/api/spaces", HttpStatusCode.OK);
        await Conforms(await admin.PostAsJsonAsync($"/api/people/{person.Id()}/assign", new { spaceId = space.Id() }),
            "post", "/api/people/{id}/assign", HttpStatusCode.OK);
        await Conforms(await admin.GetAsync("/api/people?assigned=true"), "get", "/api/people", HttpStatusCode.OK);
        await Conforms(await admin.PostAsJsonAsync("/api/people/lists", new { name = "Doc list" }), "post", "/api/people/lists", HttpStatusCode.Created);
        await Conforms(await admin.PostAsJsonAsync($"/api/conference/{room.Id()}/toggle", new { meetingName = "Standup", startTime = "09:00", endTime = "09:15", participants = new[] { "Dana" } }),
            "post", "/api/conference/{id}/toggle", HttpStatusCode.OK);
        await Conforms(await admin.GetAsync("/api/settings"), "get", "/api/settings", HttpStatusCode.OK);
        await Conforms(await admin.PostAsync("/api/spaces/import", new StringContent("externalId,roomName\nDOC-9,Nine\n", Encoding.UTF8, "text/csv")),
            "post", "/api/spaces/import", HttpStatusCode.OK);

        // Errors the domain routes document.
        await Conforms(await admin.PostAsJsonAsync("/api/spaces", new { externalId = "bad id!" }), "post", "/api/spaces", HttpStatusCode.BadRequest);
        await Conforms(await admin.PostAsJsonAsync($"/api/spaces/{space.Id()}/assign-label", new { labelCode = "LBLDOC2" }),
            "post", "/api/spaces/{id}/assign-label", HttpStatusCode.Conflict);
        await Conforms(await admin.DeleteAsync($"/api/people/{(await admin.CreatePersonAsync("Unseated")).Id()}/unassign"),
            "delete", "/api/people/{id}/unassign", HttpStatusCode.UnprocessableEntity);
        await Conforms(await admin.GetAsync($"/api/conference/{Guid.NewGuid()}"), "get", "/api/conference/{id}", HttpStatusCode.NotFound);
        await Conforms(await (await org.ClientForRoleAsync("viewer")).PostAsJsonAsync("/api/spaces", new { externalId = "DOC-4" }),
            "post", "/api/spaces", HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_reference_page_is_off_unless_enabled()
    {
        var res = await app.Client().GetAsync("/scalar");
        Assert.Equal(HttpStatusCode.NotFound, res.StatusCode);
    }

    /// <summary>Asserts the status is documented for the operation and the body validates against its schema.</summary>
    private static async Task Conforms(HttpResponseMessage res, string method, string path, HttpStatusCode expected)
    {
        var text = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == expected, $"{method} {path}: expected {(int)expected}, got {(int)res.StatusCode}: {text}");
        var op = Document.Value.GetProperty("paths").GetProperty(path).GetProperty(method);
        Assert.True(op.GetProperty("responses").TryGetProperty(((int)expected).ToString(), out var documented),
            $"{method} {path} answered {(int)expected}, which its operation does not document");
        var schema = documented.GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var errors = JsonSchemaCheck.Validate(JsonDocument.Parse(text).RootElement, schema, Document.Value);
        Assert.True(errors.Count == 0, $"{method} {path} {(int)expected} does not match the document:\n{string.Join("\n", errors)}\n{text}");
    }

    private static string ExpiredToken(TestOrg org)
    {
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(TestApp.DefaultSettings("")["Jwt:SigningKey"]));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "electisspace-tests", Audience = "electisspace-tests",
            IssuedAt = DateTime.UtcNow.AddMinutes(-30), NotBefore = DateTime.UtcNow.AddMinutes(-30), Expires = DateTime.UtcNow.AddMinutes(-15),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object> { ["sub"] = org.AdminId.ToString(), ["org"] = org.OrgId.ToString(), ["role"] = "admin" },
        });
    }
}

/// <summary>The Standalone host with the reference page switched on.</summary>
public sealed class ReferencePageApp : TestApp
{
    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings => [new("Api:ReferencePageEnabled", "true")];
}

public sealed class ReferencePageTests(ReferencePageApp app) : IClassFixture<ReferencePageApp>
{
    [Fact]
    public async Task The_reference_page_is_served_when_enabled_and_reads_the_document()
    {
        var res = await app.Client().GetAsync("/scalar");
        var html = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.OK, $"/scalar answered {(int)res.StatusCode}: {html}");
        Assert.Equal("text/html", res.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().GetAsync(OpenApiDocument.DocumentPath)).StatusCode);
    }
}
