using System.Text.Json.Serialization;

namespace ElectisSpace.Core.Formats;

/// <summary>
/// A `data` object as PostgreSQL returns it (jsonb as text), written into answers as it is. What is stored is always a
/// flat object of strings (<see cref="EntityData.Normalize"/> wrote it), so the text is already the JSON the API shows:
/// parsing each row into a dictionary and serializing it back cost a list page about a seventh of the host's CPU
/// (issue 18, never-cached pages of 100 people). Clients see the same object; only whitespace may differ.
/// </summary>
[JsonConverter(typeof(StoredDataConverter))]
public sealed class StoredData(string? json)
{
    public string Json { get; } = string.IsNullOrEmpty(json) ? "{}" : json;
}

public sealed class StoredDataConverter : JsonConverter<StoredData>
{
    public override StoredData Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new StoredData(document.RootElement.GetRawText());
    }

    // PostgreSQL's jsonb output is valid JSON by construction; validating it again would cost what this type saves.
    public override void Write(Utf8JsonWriter writer, StoredData value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json, skipInputValidation: true);
}
