using System.Text;

namespace ElectisSpace.Core.Formats;

/// <summary>
/// The one gate every JSON body passes before it is parsed into objects: strict UTF-8, at most <see cref="MaxDepth"/>
/// levels, no property twice in an object (compared case-insensitively, as the API binds names), and no string (value
/// or property name) that is not valid Unicode or carries a control character. Each refusal is a VALIDATION_ERROR naming
/// the field, so a client can act on it, and nothing of the request reaches the database.
/// Hand-written because System.Text.Json reports these as different exception types (or not at all: invalid UTF-8 becomes
/// U+FFFD in JsonNode, duplicates throw ArgumentException) and never names the field for a bad string.
/// </summary>
public static class JsonText
{
    public const int MaxDepth = 32;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void Check(ReadOnlySpan<byte> json)
    {
        try { _ = StrictUtf8.GetCharCount(json); }
        catch (DecoderFallbackException) { throw ApiException.Validation("The body is not valid UTF-8.", new FieldError("body", "Send UTF-8 text.")); }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        // One frame per open object/array: its path, the keys seen (objects) or the next index (arrays).
        var frames = new Stack<(string Path, HashSet<string>? Keys, int Index)>();
        string? property = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        var path = ValuePath(frames, property);
                        Advance(frames);
                        frames.Push((path, reader.TokenType == JsonTokenType.StartObject ? new(StringComparer.OrdinalIgnoreCase) : null, 0));
                        property = null;
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        var top = frames.Peek();
                        var name = ReadString(ref reader, Join(top.Path, "(property name)"));
                        property = name;
                        if (!top.Keys!.Add(name))
                            throw ApiException.Validation("A property appears twice in the same object.",
                                new FieldError(Join(top.Path, name), "Give each property once."));
                        break;
                    case JsonTokenType.String:
                        ReadString(ref reader, ValuePath(frames, property));
                        Advance(frames);
                        property = null;
                        break;
                    default:
                        Advance(frames);
                        property = null;
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Malformed or too deep: the parser after this gate says which, with the envelope.
            if (reader.CurrentDepth >= MaxDepth)
                throw ApiException.Validation($"The JSON is nested more than {MaxDepth} levels deep.", new FieldError("body", "Too deeply nested."));
            throw ApiException.Validation("The JSON body is malformed or has a value of the wrong type.", new FieldError("body", "The JSON is malformed."));
        }
    }

    /// <summary>True when the text holds a character no field of this API accepts: C0 controls other than tab, CR and LF, and DEL.</summary>
    public static bool HasControlCharacter(string text)
    {
        foreach (var ch in text)
            if (ch is < ' ' and not ('\t' or '\n' or '\r') or '\u007f') return true;
        return false;
    }

    public const string ControlCharacterMessage = "Control characters (such as NUL) are not allowed.";

    private static string ReadString(ref Utf8JsonReader reader, string field)
    {
        string text;
        // A lone UTF-16 surrogate escape (\\ud800) is valid JSON syntax but not Unicode: the reader refuses to decode it.
        try { text = reader.GetString()!; }
        catch (InvalidOperationException) { throw ApiException.Validation("A string is not valid Unicode.", new FieldError(field, "Lone surrogate escapes (\\ud800-\\udfff) are not allowed.")); }
        if (HasControlCharacter(text)) throw ApiException.Validation(ControlCharacterMessage, new FieldError(field, ControlCharacterMessage));
        return text;
    }

    private static string ValuePath(Stack<(string Path, HashSet<string>? Keys, int Index)> frames, string? property) =>
        frames.Count == 0 ? "" : frames.Peek().Keys is null ? $"{frames.Peek().Path}[{frames.Peek().Index}]" : Join(frames.Peek().Path, property ?? "");

    private static void Advance(Stack<(string Path, HashSet<string>? Keys, int Index)> frames)
    {
        if (frames.Count > 0 && frames.Peek().Keys is null)
        {
            var f = frames.Pop();
            frames.Push(f with { Index = f.Index + 1 });
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
