using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Idempotency;

namespace ElectisSpace.Core.Routing;

/// <summary>
/// The OpenAPI 3.1 description of the API, built from the one route table (<see cref="ApiRoutes.All"/>) and nothing else.
///
/// Why not Microsoft.AspNetCore.OpenApi's generator: every handler is an opaque <c>Func&lt;HttpRequest, Task&lt;IResult&gt;&gt;</c>,
/// so ASP.NET's endpoint metadata knows no bodies, parameters, statuses or security; everything would have to be
/// re-entered through transformers from the same ApiRoute metadata this builder reads directly, and the Functions host
/// (which has no ASP.NET endpoint data source for these routes) could not produce it at all. Building the document here
/// keeps it a pure function of the route table: deterministic (the checked-in copy can be compared byte for byte),
/// available without a host or a database (the <c>openapi</c> command), and its schemas come from
/// <see cref="JsonSchemaExporter"/> over the very <see cref="Json.Options"/> the API serializes with, so names
/// (camelCase) and enum spellings (kebab-case) cannot drift from the wire.
///
/// Request DTOs carry System.ComponentModel.DataAnnotations attributes ([Required], [StringLength], [EmailAddress], …)
/// on their properties; they only describe the handler's own validation for the document (nothing evaluates them).
/// </summary>
public static partial class OpenApiDocument
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string RegenerateCommand = "dotnet run --project functions/ElectisSpace.Standalone -- openapi docs/openapi.json";

    private const string Bearer = "bearerAuth";
    private const string Cookie = "refreshCookie";

    /// <summary>The document as indented JSON text with a trailing newline (the exact content of docs/openapi.json).</summary>
    public static string ToJson(IEnumerable<ApiRoute> routes) =>
        Build(routes).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            .ReplaceLineEndings("\n") + "\n";

    public static JsonObject Build(IEnumerable<ApiRoute> routes)
    {
        var list = routes.ToList();
        var schemas = new SchemaRegistry();
        var paths = new JsonObject();
        foreach (var group in list.GroupBy(r => r.DocumentPath))
        {
            var item = new JsonObject();
            foreach (var route in group) item[route.Method.ToLowerInvariant()] = Operation(route, schemas);
            paths[group.Key] = item;
        }

        return new JsonObject
        {
            ["openapi"] = "3.1.1",
            ["info"] = new JsonObject
            {
                ["title"] = "electisSpace Server API",
                ["version"] = "1.0.0",
                ["description"] = InfoDescription,
            },
            ["tags"] = new JsonArray([.. list.Select(r => r.Tag).Where(t => t.Length > 0).Distinct()
                .Select(t => (JsonNode)new JsonObject { ["name"] = t })]),
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = schemas.Components(),
                ["securitySchemes"] = new JsonObject
                {
                    [Bearer] = new JsonObject
                    {
                        ["type"] = "http", ["scheme"] = "bearer", ["bearerFormat"] = "JWT",
                        ["description"] = "The accessToken from POST /api/auth/login or /api/auth/refresh, as `Authorization: Bearer <token>`. " +
                                          "It lives 15 minutes (expiresIn seconds); an expired one answers 401 TOKEN_EXPIRED: refresh and retry.",
                    },
                    [Cookie] = new JsonObject
                    {
                        ["type"] = "apiKey", ["in"] = "cookie", ["name"] = AuthHandlers.RefreshCookie,
                        ["description"] = "The HttpOnly refresh-token cookie (Path=/api/auth) set by login and refresh. " +
                                          "Clients that can't keep cookies send the refreshToken in the body instead.",
                    },
                },
            },
        };
    }

    private const string InfoDescription = """
        The electisSpace Server API: spaces, people, conference rooms and labels of an office, kept in step with the SoluM AIMS cloud.

        - Every path is under `/api`. Send and receive `application/json` (camelCase properties, enums in kebab-case lower).
        - Sign in with `POST /api/auth/login`; send the `accessToken` as `Authorization: Bearer <token>`. When it expires the API
          answers 401 `TOKEN_EXPIRED`: call `POST /api/auth/refresh` (body `refreshToken` or the `refreshToken` cookie) and retry.
          401 `UNAUTHORIZED` means the token is missing or invalid, or the session ended: log in again.
        - Every error uses one envelope: `{"error": {"code", "message", "details"}}`; each operation lists the codes it can return.
          Unknown paths answer 404 `NOT_FOUND` and wrong methods 405 `METHOD_NOT_ALLOWED` in the same envelope.
        - Lists answer `{"data": [...], "pagination": {"page", "limit", "total", "totalPages"}}`; ask with `?page=&limit=`.
        - Roles: admin (everything), manager (spaces, people, conference, sync; reads settings), viewer (reads).
        """;

    private static JsonObject Operation(ApiRoute route, SchemaRegistry schemas)
    {
        var op = new JsonObject { ["operationId"] = route.Name };
        if (route.Tag.Length > 0) op["tags"] = new JsonArray(route.Tag);
        if (route.Summary.Length > 0) op["summary"] = route.Summary;
        op["description"] = Description(route);
        if (route.Permission is { } p) op["x-permission"] = EnumNames.Name(p);

        var parameters = new JsonArray();
        foreach (Match m in PathParamRegex().Matches(route.Pattern))
            parameters.Add(new JsonObject
            {
                ["name"] = m.Groups[1].Value, ["in"] = "path", ["required"] = true,
                ["schema"] = m.Groups[2].Value == "guid"
                    ? new JsonObject { ["type"] = "string", ["format"] = "uuid" }
                    : new JsonObject { ["type"] = "string" },
            });
        foreach (var q in route.Query)
        {
            var schema = q.Type switch
            {
                "integer" => new JsonObject { ["type"] = "integer", ["format"] = "int32" },
                "boolean" => new JsonObject { ["type"] = "boolean" },
                "uuid" or "date-time" or "date" => new JsonObject { ["type"] = "string", ["format"] = q.Type },
                _ => new JsonObject { ["type"] = q.Type },
            };
            if (q.Type == "integer") schema["minimum"] = 1;
            if (q.Enum is { } values) schema["enum"] = new JsonArray([.. values.Select(v => (JsonNode)v)]);
            parameters.Add(new JsonObject { ["name"] = q.Name, ["in"] = "query", ["required"] = false, ["description"] = q.Description, ["schema"] = schema });
        }
        if (IdempotentRequest.Applies(route))
            parameters.Add(new JsonObject
            {
                ["name"] = IdempotentRequest.Header, ["in"] = "header", ["required"] = false,
                ["description"] = "Makes a retry safe: the same key with the same request within 24 h answers the first answer again " +
                    $"(with `{RecordedResponse.ReplayedHeader}: true`) and changes nothing. Use a new key (e.g. a UUID) per request. " +
                    "See docs/api-conventions.md.",
                ["schema"] = new JsonObject
                {
                    ["type"] = "string", ["minLength"] = 1, ["maxLength"] = IdempotentRequest.MaxKeyLength, ["pattern"] = "^[\\x21-\\x7E]+$",
                },
            });
        if (parameters.Count > 0) op["parameters"] = parameters;

        if (route.Request is { } requestType)
        {
            var schema = schemas.Request(requestType);
            op["requestBody"] = new JsonObject
            {
                // A refresh-token route takes its token from the body or the cookie, so the body is optional there.
                ["required"] = route.Auth != RouteAuth.RefreshToken,
                ["content"] = new JsonObject
                {
                    ["application/json"] = new JsonObject { ["schema"] = schema, ["example"] = Examples.For(schemas.Resolve(schema)) },
                },
            };
        }
        else if (route.RequestContentType is { } contentType)
        {
            var schema = contentType.StartsWith("multipart/", StringComparison.Ordinal)
                ? new JsonObject
                {
                    ["type"] = "object", ["required"] = new JsonArray("file"),
                    ["properties"] = new JsonObject { ["file"] = new JsonObject { ["type"] = "string", ["contentMediaType"] = "application/octet-stream" } },
                }
                : new JsonObject { ["type"] = "string" };
            op["requestBody"] = new JsonObject
            {
                ["required"] = true, ["description"] = $"At most {RequestBody.MaxUploadBytes / (1024 * 1024)} MiB.",
                ["content"] = new JsonObject { [contentType] = new JsonObject { ["schema"] = schema } },
            };
        }

        var responses = new JsonObject();
        foreach (var status in new[] { route.SuccessStatus }.Concat(route.AlternateStatuses))
            responses[status.ToString()] = SuccessResponse(route, status, schemas);
        foreach (var byStatus in ErrorCodesOf(route).GroupBy(ErrorCodes.Status).OrderBy(g => g.Key))
            responses[byStatus.Key.ToString()] = ErrorResponse([.. byStatus], schemas);
        op["responses"] = responses;

        op["security"] = route.Auth switch
        {
            RouteAuth.Public => new JsonArray(),
            RouteAuth.RefreshToken => new JsonArray(new JsonObject { [Cookie] = new JsonArray() }, new JsonObject()),
            _ => new JsonArray(new JsonObject { [Bearer] = new JsonArray() }),
        };
        return op;
    }

    private static string Description(ApiRoute route)
    {
        var who = route.Auth switch
        {
            RouteAuth.Public => "Public: no token needed.",
            RouteAuth.RefreshToken => "Authenticated by a refresh token, in the body (`refreshToken`) or the `refreshToken` cookie; no access token needed.",
            _ when route.Permission is { } p =>
                $"Requires a bearer token and the `{EnumNames.Name(p)}` permission (roles: " +
                string.Join(", ", Enum.GetValues<Role>().Where(r => Permissions.Allows(r, p)).Select(r => EnumNames.Name(r))) + ").",
            _ => "Requires a bearer token (any role).",
        };
        return route.Summary.Length > 0 ? $"{route.Summary}\n\n{who}" : who;
    }

    /// <summary>
    /// The route's own codes plus the ones its authentication, permission, body and query imply; every route can fail
    /// with 500, and with 503 + Retry-After while the database is unreachable (unless 503 is already its own answer).
    /// </summary>
    public static IReadOnlyList<string> ErrorCodesOf(ApiRoute route)
    {
        var codes = new List<string>(route.Errors);
        if (route.Auth == RouteAuth.Bearer) codes.AddRange([ErrorCodes.Unauthorized, ErrorCodes.TokenExpired]);
        if (route.Permission is not null) codes.Add(ErrorCodes.Forbidden);
        if (route.Query.Length > 0) codes.Add(ErrorCodes.Validation);
        if (route.Request is not null) codes.AddRange([ErrorCodes.Validation, ErrorCodes.PayloadTooLarge, ErrorCodes.UnsupportedMediaType]);
        if (route.RequestContentType is not null) codes.AddRange([ErrorCodes.Validation, ErrorCodes.PayloadTooLarge]);
        if (IdempotentRequest.Applies(route))
            codes.AddRange([ErrorCodes.Validation, ErrorCodes.IdempotencyKeyInUse, ErrorCodes.IdempotencyKeyReused]);
        codes.Add(ErrorCodes.Internal);
        if (!route.AlternateStatuses.Contains(503)) codes.Add(ErrorCodes.ServiceUnavailable);
        return [.. codes.Distinct().OrderBy(ErrorCodes.Status).ThenBy(c => c, StringComparer.Ordinal)];
    }

    private static JsonObject SuccessResponse(ApiRoute route, int status, SchemaRegistry schemas)
    {
        var response = new JsonObject { ["description"] = status switch
        {
            201 => "Created.", 202 => "Accepted.", 204 => "No content.",
            503 => "Service unavailable (same body).",
            _ => "OK.",
        } };
        if (route.SetsRefreshCookie)
            response["headers"] = new JsonObject
            {
                ["Set-Cookie"] = new JsonObject
                {
                    ["description"] = status == 204
                        ? "Clears the refresh token cookie: `refreshToken=; Max-Age=0; Path=/api/auth; HttpOnly; Secure; SameSite=Strict`."
                        : "The refresh token as an HttpOnly cookie: `refreshToken=<token>; Path=/api/auth; HttpOnly; Secure; SameSite=Strict` (7 days).",
                    ["schema"] = new JsonObject { ["type"] = "string" },
                },
            };
        if (IdempotentRequest.Applies(route))
        {
            var headers = response["headers"] as JsonObject ?? [];
            headers[RecordedResponse.ReplayedHeader] = new JsonObject
            {
                ["description"] = "`true` when this is the first answer to the same Idempotency-Key, sent again.",
                ["schema"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("true") },
            };
            response["headers"] = headers;
        }
        if (status == 204) return response;
        if (route.ResponseContentType is { } contentType)
        {
            response["content"] = new JsonObject { [contentType] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } } };
            return response;
        }
        JsonObject schema = route.Response is null ? new JsonObject { ["type"] = "object" }
            : route.Paged ? schemas.Response(typeof(PagedResponse<>).MakeGenericType(route.Response))
            : schemas.Response(route.Response);
        response["content"] = new JsonObject
        {
            ["application/json"] = new JsonObject { ["schema"] = schema, ["example"] = Examples.For(schemas.Resolve(schema)) },
        };
        return response;
    }

    private static JsonObject ErrorResponse(IReadOnlyList<string> codes, SchemaRegistry schemas)
    {
        var envelope = schemas.Response(typeof(ErrorEnvelope));
        var examples = new JsonObject();
        foreach (var code in codes)
            examples[code] = new JsonObject
            {
                ["value"] = new JsonObject
                {
                    ["error"] = new JsonObject { ["code"] = code, ["message"] = ExampleMessage(code), ["details"] = ExampleDetails(code) },
                },
            };
        var response = new JsonObject { ["description"] = string.Join(", ", codes) };
        if (codes.Contains(ErrorCodes.RateLimited) || codes.Contains(ErrorCodes.ServiceUnavailable) || codes.Contains(ErrorCodes.IdempotencyKeyInUse))
            response["headers"] = new JsonObject
            {
                ["Retry-After"] = new JsonObject
                {
                    ["description"] = "Seconds to wait before trying again (RATE_LIMITED, IDEMPOTENCY_KEY_IN_USE; SERVICE_UNAVAILABLE when known).",
                    ["schema"] = new JsonObject { ["type"] = "integer" },
                },
            };
        response["content"] = new JsonObject
        {
            ["application/json"] = new JsonObject
            {
                ["schema"] = new JsonObject
                {
                    ["allOf"] = new JsonArray(envelope, new JsonObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JsonObject
                        {
                            ["error"] = new JsonObject
                            {
                                ["type"] = "object",
                                ["properties"] = new JsonObject
                                {
                                    ["code"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. codes.Select(c => (JsonNode)c)]) },
                                },
                            },
                        },
                    }),
                },
                ["examples"] = examples,
            },
        };
        return response;
    }

    private static string ExampleMessage(string code) => code switch
    {
        ErrorCodes.Validation => "The request is not valid.",
        ErrorCodes.Unauthorized => "Authentication is required.",
        ErrorCodes.TokenExpired => "The access token has expired; use the refresh token to get a new one.",
        ErrorCodes.Forbidden => "Your role does not allow this action.",
        ErrorCodes.NotFound => "User was not found.",
        ErrorCodes.Conflict => "A user with this email already exists.",
        ErrorCodes.PayloadTooLarge => "The request body is larger than 1 MiB.",
        ErrorCodes.UnsupportedMediaType => "Send the body as application/json.",
        ErrorCodes.Business => "This is the organization's last active admin; promote another admin first.",
        ErrorCodes.RateLimited => "Too many requests. Try again in 42 s.",
        ErrorCodes.Internal => "An unexpected error occurred. Quote trace id 0HN7:00000001 when reporting it.",
        ErrorCodes.BadGateway => "AIMS answered with an error.",
        ErrorCodes.ServiceUnavailable => "AIMS is not reachable; try again later.",
        ErrorCodes.IdempotencyKeyInUse => "A request with this Idempotency-Key is still running. Retry after it has finished.",
        ErrorCodes.IdempotencyKeyReused => "This Idempotency-Key was used for a different request (another body or route) in the last 24 h. Use a new key for a new request.",
        _ => "The request failed.",
    };

    private static JsonNode? ExampleDetails(string code) => code == ErrorCodes.Validation
        ? new JsonArray(new JsonObject { ["field"] = "email", ["message"] = "email is required." })
        : null;

    [GeneratedRegex(@"\{(\w+)(?::(\w+))?\}")]
    private static partial Regex PathParamRegex();

    /// <summary>Component schemas by type, generated once each; references are "#/components/schemas/Name".</summary>
    private sealed class SchemaRegistry
    {
        private readonly SortedDictionary<string, JsonNode> _components = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Type> _owners = [];

        public JsonObject Request(Type type) => Reference(type, request: true);
        public JsonObject Response(Type type) => Reference(type, request: false);

        public JsonObject Components() => new([.. _components.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.DeepClone()))]);

        /// <summary>The component a reference points at (for examples); anything else is returned as is.</summary>
        public JsonNode Resolve(JsonObject schema) =>
            (string?)schema["$ref"] is { } r ? _components[r["#/components/schemas/".Length..]] : schema;

        private JsonObject Reference(Type type, bool request)
        {
            var name = Name(type);
            if (_owners.TryGetValue(name, out var owner))
            {
                if (owner != type) throw new InvalidOperationException($"Two API types are both named {name}: {owner} and {type}.");
            }
            else
            {
                _owners[name] = type;
                _components[name] = SchemaOf(type, request);
            }
            return new JsonObject { ["$ref"] = $"#/components/schemas/{name}" };
        }

        private static string Name(Type t) => t.IsArray ? Name(t.GetElementType()!) + "List" : t.IsGenericType
            ? string.Concat(t.GetGenericArguments().Select(Name)) + (t.GetGenericTypeDefinition() == typeof(PagedResponse<>) ? "Page" : t.Name[..t.Name.IndexOf('`')])
            : t.Name;
    }

    /// <summary>
    /// JSON Schema of a type as the API serializes it. Responses always carry every property (nulls are written),
    /// so all their properties are required; requests require what their [Required] attributes say.
    /// </summary>
    private static readonly JsonSerializerOptions SchemaOptions =
        // The server writes numbers as numbers: describe them so (Web defaults also accept numeric strings on input).
        new(Json.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver(), NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict };

    private static JsonNode SchemaOf(Type type, bool request)
    {
        var exporter = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (ctx, node) => Annotate(ctx, node, request),
        };
        var schema = SchemaOptions.GetJsonSchemaAsNode(type, exporter);
        InlineLocalReferences(schema, schema, type, []);
        return schema;
    }

    /// <summary>
    /// The exporter writes a type's second occurrence as a JSON pointer into the same schema ("#/properties/a/...");
    /// once the schema becomes a component those pointers would point nowhere, so each is replaced by a copy of its target.
    /// A pointer to an enclosing node is real recursion, which the API types never need.
    /// </summary>
    private static void InlineLocalReferences(JsonNode root, JsonNode? node, Type type, List<string> path)
    {
        switch (node)
        {
            case JsonObject obj:
                if ((string?)obj["$ref"] is { } pointer && pointer.StartsWith('#'))
                {
                    var target = pointer.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries)
                        .Select(p => p.Replace("~1", "/").Replace("~0", "~")).ToList();
                    if (target.Count <= path.Count && target.SequenceEqual(path.Take(target.Count)))
                        throw new InvalidOperationException($"{type} is recursive; the OpenAPI builder does not support recursive API types.");
                    var resolved = target.Aggregate((JsonNode?)root, (n, key) => n is JsonArray a ? a[int.Parse(key)] : n?[key])
                        ?? throw new InvalidOperationException($"{type}: schema pointer {pointer} resolves to nothing.");
                    obj.Remove("$ref");
                    foreach (var (key, value) in ((JsonObject)resolved.DeepClone()).ToList())
                    {
                        if (obj.ContainsKey(key)) continue;
                        obj[key] = value?.DeepClone();
                    }
                }
                foreach (var (key, child) in obj.ToList()) InlineLocalReferences(root, child, type, [.. path, key]);
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) InlineLocalReferences(root, array[i], type, [.. path, i.ToString()]);
                break;
        }
    }

    private static JsonNode Annotate(JsonSchemaExporterContext ctx, JsonNode node, bool request)
    {
        // "Any JSON value" comes out as the schema `true`; {} says the same and can carry a description.
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.True) node = new JsonObject();
        // Stored data is written raw by its converter; its JSON is a flat object of strings.
        if (ctx.TypeInfo.Type == typeof(StoredData))
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = "string" } };
        if (node is not JsonObject obj) return node;
        if (obj["enum"] is JsonArray enumValues && obj["type"] is null)
            obj.Insert(0, "type", enumValues.Any(v => v is null) ? new JsonArray("string", "null") : "string");
        if (ctx.PropertyInfo is { } property)
        {
            foreach (var attribute in Attributes(property))
                switch (attribute)
                {
                    case StringLengthAttribute s:
                        obj["maxLength"] = s.MaximumLength;
                        if (s.MinimumLength > 0) obj["minLength"] = s.MinimumLength;
                        break;
                    case MaxLengthAttribute m: obj["maxLength"] = m.Length; break;
                    case MinLengthAttribute m: obj["minLength"] = m.Length; break;
                    case EmailAddressAttribute: obj["format"] = "email"; break;
                    case RegularExpressionAttribute r: obj["pattern"] = r.Pattern; break;
                    case RangeAttribute r:
                        obj["minimum"] = JsonValue.Create(Convert.ToInt64(r.Minimum, System.Globalization.CultureInfo.InvariantCulture));
                        obj["maximum"] = JsonValue.Create(Convert.ToInt64(r.Maximum, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                    case DescriptionAttribute d: obj["description"] = d.Description; break;
                }
        }
        if (ctx.PropertyInfo is null && ctx.TypeInfo.Kind == JsonTypeInfoKind.Object && obj["properties"] is JsonObject properties)
        {
            var required = ctx.TypeInfo.Properties
                .Where(p => !request || Attributes(p).Any(a => a is RequiredAttribute))
                // Left out when null (e.g. pagination.nextCursor), so a response may lack it.
                .Where(p => !Attributes(p).OfType<System.Text.Json.Serialization.JsonIgnoreAttribute>()
                    .Any(a => a.Condition == System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull))
                .Select(p => p.Name).ToList();
            if (request)
                foreach (var name in required)
                    if (properties[name] is JsonObject prop) DropNull(prop);
            if (ctx.TypeInfo.Type.GetCustomAttribute<DescriptionAttribute>() is { } d) obj.Insert(0, "description", d.Description);
            obj.Remove("required");
            if (required.Count > 0) obj["required"] = new JsonArray([.. required.Select(n => (JsonNode)n)]);
        }
        return obj;
    }

    /// <summary>A required request property is never null: keep only its non-null type (and enum values).</summary>
    private static void DropNull(JsonObject prop)
    {
        if (prop["type"] is JsonArray types && types.Count == 2 && types.Any(t => (string?)t == "null"))
            prop["type"] = (string?)types.First(t => (string?)t != "null");
        if (prop["enum"] is JsonArray values && values.Any(v => v is null))
            prop["enum"] = new JsonArray([.. values.Where(v => v is not null).Select(v => v!.DeepClone())]);
    }

    private static IEnumerable<object> Attributes(JsonPropertyInfo p) =>
        (p.AttributeProvider?.GetCustomAttributes(true) ?? [])
        .Concat(p.AssociatedParameter?.AttributeProvider?.GetCustomAttributes(true) ?? []);

    /// <summary>Example values derived from a schema (names, formats, enums), so every body in the document shows one.</summary>
    private static class Examples
    {
        /// <summary>Free-form string maps (entity data, mappings) get what a client would really send.</summary>
        private static JsonObject? DataExample(string? name) => name switch
        {
            "data" => new JsonObject { ["name"] = "Dana Levi", ["department"] = "R&D", ["floor"] = "3" },
            "columns" => new JsonObject { ["Employee ID"] = "externalId", ["Full name"] = "data.name" },
            "fieldMappings" => new JsonObject
            {
                [EntityTypes.Space] = new JsonObject { ["roomName"] = "ITEM_NAME" },
                [EntityTypes.Person] = new JsonObject { ["name"] = "ITEM_NAME", ["title"] = "TITLE" },
                [EntityTypes.Conference] = new JsonObject { ["meetingName"] = "MEETING_NAME", ["meetingTime"] = "MEETING_TIME", ["participants"] = "PARTICIPANTS" },
            },
            _ => null,
        };

        public static JsonNode? For(JsonNode? schema, string? name = null)
        {
            if (schema is not JsonObject s) return null;
            if (s["enum"] is JsonArray values) return values.FirstOrDefault(v => v is not null)?.DeepClone();
            var type = s["type"] switch
            {
                JsonArray types => types.Select(t => (string?)t).FirstOrDefault(t => t != "null"),
                JsonValue v => (string?)v,
                _ => null,
            };
            switch (type)
            {
                case "object":
                    if (DataExample(name) is { } data) return data;
                    var result = new JsonObject();
                    if (s["properties"] is JsonObject props)
                        foreach (var (key, value) in props) result[key] = For(value, key);
                    return result;
                case "array":
                    return new JsonArray(For(s["items"], name is null ? null : name.TrimEnd('s')));
                case "integer":
                    return name switch
                    {
                        "total" => 42, "totalPages" => 3, "limit" => 20, "expiresIn" => 900, "created" => 118, "updated" => 4,
                        "row" => 7, "pullIntervalMinutes" => 5, "currentPage" => 2, _ => 1,
                    };
                case "number":
                    return 12.5;
                case "boolean":
                    return true;
                case "string":
                    return ((string?)s["format"], name) switch
                    {
                        ("email", _) or (_, "email" or "userEmail") => "admin@demo.local",
                        ("uuid", _) => "3f1c6a52-8d0e-4b7e-9a51-2c7d4e0b9f10",
                        ("date-time", _) => "2026-03-02T09:30:00+00:00",
                        (_, "password" or "currentPassword" or "newPassword") => "Str0ng-Passw0rd",
                        (_, "accessToken") => "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjNmE1MiJ9.c2lnbmF0dXJl",
                        (_, "refreshToken") => "Zm9vYmFyYmF6cXV4LXJlZnJlc2gtdG9rZW4",
                        (_, "tokenType") => "Bearer",
                        (_, "organization" or "code") => "DEMO",
                        (_, "firstName") => "Dana",
                        (_, "lastName") => "Levi",
                        (_, "name") => "Demo Office",
                        (_, "status") => "ok",
                        (_, "temporaryPassword") => "Tmp-7fK2pQ9x",
                        (_, "ipAddress") => "203.0.113.7",
                        (_, "userAgent") => "electisSpace-desktop/1.0",
                        (_, "action") => "update",
                        (_, "entityType") => "user",
                        (_, "message") => "Password changed. Every session of this account has been signed out; log in again.",
                        (_, "externalId") => "D-101",
                        (_, "labelCode") => "0470A1B2C3D4",
                        (_, "templateName") => "DEFAULT",
                        (_, "roomName") => "Board Room",
                        (_, "meetingName") => "Weekly planning",
                        (_, "startTime") => "09:00",
                        (_, "endTime") => "09:45",
                        (_, "participant") => "Dana Levi",
                        (_, "virtualSpaceId") => "POOL-0001",
                        (_, "syncError") => "AIMS answered 405: STORE_CODE_NOT_FOUND.",
                        (_, "baseUrl") => "https://eu.common.solumesl.com",
                        (_, "company") => "ACME",
                        (_, "store") => "001",
                        (_, "username") => "ops@acme.example",
                        (_, "keyColumn") => "employeeId",
                        (_, "field") => "externalId",
                        (_, "reason") => "externalId may only contain letters, digits, - and _.",
                        _ => "string",
                    };
                default:
                    return null;
            }
        }
    }
}
