using CsvHelper;
using Microsoft.AspNetCore.Http.Features;

namespace ElectisSpace.Core.Formats;

public enum ImportMode { AllOrNothing, Partial }

/// <summary>One problem with one CSV record: its data row number (1 = first row after the header) and file line.</summary>
public sealed record ImportRowError(int Row, int Line, string? Column, string Message);

/// <summary>What an import did. In all-or-nothing mode a file with errors changes nothing and is answered with 400.</summary>
public sealed record ImportResult(ImportMode Mode, int TotalRows, int Created, int Updated, int Deleted, int Failed, IReadOnlyList<ImportRowError> Errors);

public sealed record CsvRecord(int Row, int Line, string[] Fields);
public sealed record CsvTable(IReadOnlyList<string> Headers, IReadOnlyList<CsvRecord> Records);

/// <summary>An uploaded CSV file plus the import options that came with it (query string or multipart "options" JSON).</summary>
public sealed record CsvUpload(CsvTable Table, ImportMode Mode, bool ReplaceExisting)
{
    public const int MaxErrorsReported = 1000;
    private sealed record OptionsJson(ImportMode? Mode, bool? ReplaceExisting);

    /// <summary>
    /// Reads text/csv (raw body) or multipart/form-data (field "file", optional field "options" = JSON).
    /// Over 10 MiB is 413; a body that is not UTF-8 or not parseable CSV is 400.
    /// </summary>
    public static async Task<CsvUpload> ReadAsync(HttpRequest req, CancellationToken ct)
    {
        var mode = Query.Enum<ImportMode>(req, "mode");
        var replace = Query.Bool(req, "replaceExisting");
        var contentType = req.ContentType ?? "";
        byte[] file;
        if (contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            // Multipart framing adds a little to the file; the file itself is held to the limit below.
            var body = await RequestBody.ReadBytesAsync(req, RequestBody.MaxUploadBytes + 64 * 1024, ct);
            req.Body = new MemoryStream(body);
            IFormCollection form;
            // The body is already in memory: an IOException here is malformed framing (e.g. no closing boundary), not the network.
            try { form = await req.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = body.Length + 1 }, ct); }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw ApiException.Validation("The multipart body is malformed.", new FieldError("body", "Send multipart/form-data with a boundary and a closing boundary line."));
            }
            var part = form.Files.GetFile("file") ?? throw ApiException.Validation("Attach the CSV as the multipart field 'file'.", new FieldError("file", "Required."));
            if (part.Length > RequestBody.MaxUploadBytes) throw ApiException.TooLarge(RequestBody.MaxUploadBytes);
            using var ms = new MemoryStream();
            await part.CopyToAsync(ms, ct);
            file = ms.ToArray();
            if (form["options"].ToString() is { Length: > 0 } optionsText)
            {
                OptionsJson? options;
                try
                {
                    JsonText.Check(System.Text.Encoding.UTF8.GetBytes(optionsText));
                    options = JsonSerializer.Deserialize<OptionsJson>(optionsText, Json.Options);
                }
                catch (ApiException e) { throw ApiException.Validation("options is not valid: " + e.Message, new FieldError("options", e.Message)); }
                catch (JsonException) { throw ApiException.Validation("options must be JSON such as {\"replaceExisting\":true,\"mode\":\"partial\"}.", new FieldError("options", "Malformed JSON.")); }
                mode ??= options?.Mode;
                replace ??= options?.ReplaceExisting;
            }
        }
        else if (contentType.Length == 0 || contentType.Contains("csv", StringComparison.OrdinalIgnoreCase)
                 || contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
        {
            file = await RequestBody.ReadBytesAsync(req, RequestBody.MaxUploadBytes, ct);
        }
        else throw ApiException.Unsupported("Send the CSV as text/csv or as multipart/form-data field 'file'.");

        return new CsvUpload(Parse(file), mode ?? ImportMode.AllOrNothing, replace ?? false);
    }

    /// <summary>UTF-8 (BOM optional), separator detected by CsvHelper (comma or semicolon, also tab or pipe), RFC 4180 quoting.</summary>
    public static CsvTable Parse(byte[] file)
    {
        var start = file.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        try { _ = StrictUtf8.GetCharCount(file, start, file.Length - start); }
        catch (System.Text.DecoderFallbackException) { throw ApiException.Validation("The file is not UTF-8 text. Save it as CSV UTF-8."); }

        try
        {
            using var reader = CsvReader.Create(file.AsMemory(start), new CsvReaderOptions
            {
                HasHeader = true, MalformedData = CsvMalformedDataHandling.Throw, TrackLineNumbers = true, SkipEmptyLines = true,
            });
            var headers = reader.Headers.Select(h => h.Trim()).ToList();
            if (headers.Count == 0 || headers.All(h => h.Length == 0)) throw ApiException.Validation("The file is empty: a header row is required.");
            var dup = headers.Where(h => h.Length > 0).GroupBy(h => h, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null) throw ApiException.Validation($"The header has the column '{dup.Key}' twice.");
            if (headers.FirstOrDefault(JsonText.HasControlCharacter) is { } badHeader)
                throw ApiException.Validation("A header has a control character (such as NUL).", new FieldError("header", JsonText.ControlCharacterMessage));
            var records = new List<CsvRecord>();
            while (reader.Read())
            {
                var fields = new string[reader.FieldCount];
                for (var i = 0; i < fields.Length; i++)
                {
                    fields[i] = reader.GetString(i);
                    // Decided once for every import: PostgreSQL can't store NUL, and no field of ours accepts control characters.
                    if (JsonText.HasControlCharacter(fields[i]))
                        throw ApiException.InvalidRows($"Row {reader.RowNumber} has a control character (such as NUL); nothing was imported.",
                            new ImportRowError((int)reader.RowNumber, (int)reader.LineNumber, i < headers.Count ? headers[i] : null, JsonText.ControlCharacterMessage));
                }
                records.Add(new CsvRecord((int)reader.RowNumber, (int)reader.LineNumber, fields));
            }
            return new CsvTable(headers, records);
        }
        catch (CsvFormatException e)
        {
            throw ApiException.InvalidRows($"The CSV is malformed near line {e.LineNumber}: {e.Message}",
                new ImportRowError((int)Math.Max(0, e.RecordNumber - 1), (int)e.LineNumber, null, e.Message));
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

/// <summary>
/// Which entity field each CSV column fills: the organization's mapping first (settings csv.*.columns), then the
/// built-in names, else the column becomes a data field of the same name.
/// </summary>
public static class CsvColumns
{
    public const string ExternalId = "externalId", LabelCode = "labelCode", TemplateName = "templateName", DataPrefix = "data.";

    public static string[] Resolve(IReadOnlyList<string> headers, IReadOnlyDictionary<string, string> configured,
        IReadOnlyDictionary<string, string> builtIn)
    {
        var cfg = new Dictionary<string, string>(configured, StringComparer.OrdinalIgnoreCase);
        var std = new Dictionary<string, string>(builtIn, StringComparer.OrdinalIgnoreCase);
        return headers.Select(h => h.Length == 0 ? "" : cfg.TryGetValue(h, out var f) ? f : std.TryGetValue(h, out var g) ? g : DataPrefix + h).ToArray();
    }

    /// <summary>A row's data fields; empty cells are left out (AIMS ignores empty values too).</summary>
    public static Dictionary<string, string> Data(string[] targets, string[] fields)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < targets.Length && i < fields.Length; i++)
            if (targets[i].StartsWith(DataPrefix, StringComparison.Ordinal) && fields[i].Trim() is { Length: > 0 } v)
                data[targets[i][DataPrefix.Length..]] = v;
        return data;
    }

    public static string? Field(string[] targets, string[] fields, string target)
    {
        var i = Array.IndexOf(targets, target);
        return i < 0 || i >= fields.Length ? null : Text.OrNull(fields[i]);
    }

    /// <summary>Row-level checks every import shares: field count and data value limits.</summary>
    public static string? CheckRow(CsvRecord r, int headerCount, Dictionary<string, string> data)
    {
        if (r.Fields.Length != headerCount) return $"The row has {r.Fields.Length} fields; the header has {headerCount}.";
        if (data.Count > EntityData.MaxFields) return $"At most {EntityData.MaxFields} data fields.";
        var longField = data.FirstOrDefault(kv => kv.Value.Length > EntityData.MaxValueLength || kv.Key.Length > EntityData.MaxKeyLength);
        return longField.Key is not null ? $"The value of '{longField.Key}' is longer than {EntityData.MaxValueLength} characters." : null;
    }
}

public static class ImportErrors
{
    /// <summary>All-or-nothing: any row error rejects the whole file (400, every row error listed) before anything is written.</summary>
    public static void ThrowIfAllOrNothing(ImportMode mode, List<ImportRowError> errors)
    {
        if (mode != ImportMode.AllOrNothing || errors.Count == 0) return;
        throw ApiException.InvalidRows($"{errors.Count} row(s) have errors; nothing was imported. Fix them, or import with mode=partial.",
            errors.OrderBy(e => e.Row).Take(CsvUpload.MaxErrorsReported).ToArray());
    }
}
