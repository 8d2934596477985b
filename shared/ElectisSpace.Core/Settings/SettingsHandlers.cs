using System.Text.RegularExpressions;
using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Settings;

/// <summary>/api/settings: the organization's AIMS connection, field and CSV mappings, sync preferences.</summary>
public static partial class SettingsHandlers
{
    private static readonly HashSet<string> Sections = ["aims", "fieldMappings", "csv", "conflictStrategy", "pullIntervalMinutes", "version"];
    private static readonly HashSet<string> EntityKinds = [.. EntityTypes.All];

    public static Task<IResult> Get(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var (settings, version) = await ctx.Service<Db>().ReadAsync(c => SettingsStore.LoadAsync(c, ctx.User.OrgId), ctx.Aborted);
        Concurrency.SetETag(req, version);
        return ApiResults.Ok(SettingsDto.From(settings, version));
    });

    public static Task<IResult> Update(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var raw = await ctx.ReadJsonAsync<JsonObject>();
        var unknown = raw.Select(p => p.Key).Where(k => !Sections.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw ApiException.Validation("Unknown settings.", unknown.Select(k => new FieldError(k, "Not a setting. Allowed: " + string.Join(", ", Sections))).ToArray());
        int? bodyVersion = raw["version"] is JsonValue jv && jv.TryGetValue(out int bv) ? bv : null;
        if (raw["version"] is not null && bodyVersion is null) throw ApiException.Validation("version must be a whole number.", new FieldError("version", "Expected a number."));
        raw.Remove("version");
        var expected = Concurrency.ExpectedVersion(req, bodyVersion);

        // The password never merges as data: it is taken out here and stored encrypted.
        var aimsPatch = raw["aims"] as JsonObject;
        if (raw["aims"] is not null and not JsonObject) throw ApiException.Validation("aims must be an object.", new FieldError("aims", "Expected an object."));
        var passwordGiven = aimsPatch?.ContainsKey("password") == true;
        string? password = null;
        if (passwordGiven)
        {
            if (aimsPatch!["password"] is { } p && (p.GetValueKind() != JsonValueKind.String)) throw ApiException.Validation("aims.password must be a string.", new FieldError("aims.password", "Expected a string."));
            password = Text.OrNull((string?)aimsPatch["password"]);
            aimsPatch.Remove("password");
        }
        aimsPatch?.Remove("passwordCipher");
        aimsPatch?.Remove("passwordSet"); // read-only in GET's answer; a client sending the whole object back is not wrong
        CheckKeys(raw, typeof(OrganizationSettings), "");
        if (password is { Length: > 256 }) throw ApiException.Validation("aims.password is too long.", new FieldError("aims.password", "At most 256 characters."));

        var orgId = ctx.User.OrgId;
        var box = ctx.Service<SecretBox>();
        var dto = await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var (current, version) = await SettingsStore.LoadAsync(c, orgId, tx, forUpdate: true);
            Concurrency.Check(expected, version, "The settings");
            var merged = JsonSerializer.SerializeToNode(current, Json.Options)!.AsObject();
            MergeInto(merged, raw);
            OrganizationSettings next;
            try { next = merged.Deserialize<OrganizationSettings>(Json.Options)!; }
            catch (JsonException e)
            {
                var field = string.IsNullOrEmpty(e.Path) ? "body" : e.Path.TrimStart('$', '.');
                throw ApiException.Validation("A setting has a value of the wrong type or an unknown value.", new FieldError(field, "Wrong type or unknown value."));
            }
            if (passwordGiven) next.Aims.PasswordCipher = password is null ? null : box.Encrypt(password, orgId);
            Validate(next);
            await SettingsStore.SaveAsync(c, tx, orgId, next);
            var before = SettingsDto.From(current, version);
            var after = SettingsDto.From(next, version + 1);
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Update, "settings", orgId, before, after);
            return after;
        }, ctx.Aborted);
        Concurrency.SetETag(req, dto.Version);
        return ApiResults.Ok(dto);
    });

    /// <summary>JSON merge patch (RFC 7386): objects merge key by key, null removes, anything else replaces.</summary>
    private static void MergeInto(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is null) { target.Remove(key); continue; }
            if (value is JsonObject po && target[key] is JsonObject to) { MergeInto(to, po); continue; }
            target[key] = value.DeepClone();
        }
    }

    /// <summary>
    /// Every key of the patch must name a setting: a misspelt or unknown nested key (e.g. csv.spaces.colums) is a 400
    /// naming it, not silently dropped. Walks the patch against the settings types as JSON sees them (camelCase);
    /// dictionaries (fieldMappings, columns) take any key and their values are checked in turn.
    /// </summary>
    private static void CheckKeys(JsonObject patch, Type type, string path)
    {
        var info = Json.Options.GetTypeInfo(type);
        if (info.Kind == System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Dictionary)
        {
            var valueType = type.GetGenericArguments()[1];
            foreach (var (key, value) in patch)
                if (value is JsonObject o) CheckKeys(o, valueType, $"{path}{key}.");
            return;
        }
        if (info.Kind != System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object) return;
        var known = info.Properties.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var errors = new List<FieldError>();
        foreach (var (key, value) in patch)
        {
            if (!known.TryGetValue(key, out var prop))
            {
                if (path.Length > 0) errors.Add(new FieldError(path + key, "Not a setting. Allowed here: " + string.Join(", ", known.Keys)));
                continue;
            }
            if (value is JsonObject o) CheckKeys(o, Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType, $"{path}{key}.");
        }
        if (errors.Count > 0) throw ApiException.Validation("Unknown settings.", [.. errors]);
    }

    private static void Validate(OrganizationSettings s)
    {
        var v = new Validator();
        var a = s.Aims;
        if (a.BaseUrl is { } url && !(Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
            v.Add("aims.baseUrl", "aims.baseUrl must be an absolute http(s) URL, e.g. https://eu.common.solumesl.com.");
        v.MaxLength("aims.baseUrl", a.BaseUrl, 300).Matches("aims.company", a.Company, CodeRegex(), "aims.company is 1-50 letters, digits, '-' or '_'.")
            .Matches("aims.store", a.Store, CodeRegex(), "aims.store is 1-50 letters, digits, '-' or '_'.")
            .MaxLength("aims.username", a.Username, 255)
            .When(s.PullIntervalMinutes is < 1 or > 1440, "pullIntervalMinutes", "pullIntervalMinutes must be 1 to 1440.");
        foreach (var (kind, map) in s.FieldMappings)
        {
            if (!EntityKinds.Contains(kind)) { v.Add($"fieldMappings.{kind}", "Entity kinds are space, person, conference."); continue; }
            foreach (var (field, key) in map)
                v.When(field.Length is 0 or > 64 || key.Length is 0 or > 64, $"fieldMappings.{kind}.{field}", "Field names and article keys are 1-64 characters.");
        }
        foreach (var (name, m) in new[] { ("spaces", s.Csv.Spaces), ("people", s.Csv.People) })
        {
            foreach (var (header, field) in m.Columns)
                v.When(header.Length is 0 or > 100 || !CsvFieldRegex().IsMatch(field), $"csv.{name}.columns.{header}",
                    "Map a CSV header (1-100 characters) to externalId, labelCode, templateName or data.<key>.");
            v.MaxLength($"csv.{name}.keyColumn", m.KeyColumn, 100);
        }
        v.ThrowIfInvalid();
    }

    [GeneratedRegex(@"^[A-Za-z0-9_\-]{1,50}$")]
    private static partial Regex CodeRegex();

    [GeneratedRegex(@"^(externalId|labelCode|templateName|data\.[A-Za-z0-9_\-. ]{1,64})$")]
    private static partial Regex CsvFieldRegex();
}
