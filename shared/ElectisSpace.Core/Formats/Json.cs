using System.Text.Json.Serialization;

namespace ElectisSpace.Core.Formats;

/// <summary>The one JSON shape of the API: camelCase, enums as camelCase strings, no nulls dropped.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip;
        return o;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
