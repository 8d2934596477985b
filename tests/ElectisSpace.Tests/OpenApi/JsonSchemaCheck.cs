using System.Text.Json;

namespace ElectisSpace.Tests.OpenApi;

/// <summary>
/// A minimal JSON Schema checker for the subset the OpenAPI builder emits: $ref into components, allOf, type (one or a list),
/// enum, required, properties, items, additionalProperties and the `true` / {} schema. Strict on objects: a property the
/// schema does not name is reported too, so an undocumented field in a response fails.
/// </summary>
public static class JsonSchemaCheck
{
    public static List<string> Validate(JsonElement value, JsonElement schema, JsonElement document, string path = "$")
    {
        var errors = new List<string>();
        Check(value, schema, document, path, errors, strict: true);
        return errors;
    }

    private static void Check(JsonElement value, JsonElement schema, JsonElement document, string path, List<string> errors, bool strict)
    {
        if (schema.ValueKind == JsonValueKind.True) return;
        if (schema.TryGetProperty("$ref", out var r))
        {
            Check(value, Resolve(document, r.GetString()!), document, path, errors, strict);
            return;
        }
        if (schema.TryGetProperty("allOf", out var allOf))
        {
            // The parts of an allOf each describe only some properties: within them, don't flag the others' properties as unknown.
            foreach (var part in allOf.EnumerateArray()) Check(value, part, document, path, errors, strict: false);
            return;
        }
        if (schema.TryGetProperty("type", out var type))
        {
            var allowed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!allowed.Any(t => Is(value, t)))
            {
                errors.Add($"{path}: expected {string.Join(" or ", allowed)}, got {value.ValueKind} {Short(value)}");
                return;
            }
        }
        if (schema.TryGetProperty("enum", out var values) && !values.EnumerateArray().Any(v => JsonElement.DeepEquals(v, value)))
            errors.Add($"{path}: {Short(value)} is not one of {values.GetRawText()}");

        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var required))
                foreach (var name in required.EnumerateArray().Select(n => n.GetString()!))
                    if (!value.TryGetProperty(name, out _)) errors.Add($"{path}: missing required property {name}");
            var properties = schema.TryGetProperty("properties", out var p) ? p : default;
            var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
            foreach (var property in value.EnumerateObject())
            {
                var childPath = $"{path}.{property.Name}";
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var ps))
                    Check(property.Value, ps, document, childPath, errors, strict);
                else if (additional.ValueKind is JsonValueKind.Object or JsonValueKind.True)
                    Check(property.Value, additional, document, childPath, errors, strict);
                else if (strict && properties.ValueKind == JsonValueKind.Object)
                    errors.Add($"{childPath}: property not in the documented schema");
            }
        }
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in value.EnumerateArray()) Check(item, items, document, $"{path}[{i++}]", errors, strict);
        }
    }

    public static JsonElement Resolve(JsonElement document, string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw new InvalidOperationException($"Unsupported $ref {reference}");
        var node = document;
        foreach (var segment in reference[2..].Split('/')) node = node.GetProperty(segment.Replace("~1", "/").Replace("~0", "~"));
        return node;
    }

    private static bool Is(JsonElement v, string type) => type switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _),
        "number" => v.ValueKind == JsonValueKind.Number,
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => false,
    };

    private static string Short(JsonElement v)
    {
        var text = v.GetRawText();
        return text.Length > 60 ? text[..60] + "…" : text;
    }
}
