using ElectisSpace.Core.Settings;

namespace ElectisSpace.Core.Aims;

/// <summary>What a space's article is built from: the space, and the person sitting there (if any).</summary>
public sealed record SpaceArticleSource(string ExternalId, IReadOnlyDictionary<string, string> Data, PersonArticleSource? Occupant);

/// <summary>A person's fields (their article is their space's while seated, else their POOL id's).</summary>
public sealed record PersonArticleSource(IReadOnlyDictionary<string, string> Data);

public sealed record ConferenceArticleSource(string ExternalId, string RoomName, bool HasMeeting, string? MeetingName,
    string? StartTime, string? EndTime, IReadOnlyList<string> Participants);

/// <summary>An AIMS article read back on pull, classified by its id.</summary>
public abstract record PulledArticle(string ArticleId, IReadOnlyList<string> Labels);
public sealed record PulledSpace(string ArticleId, string ExternalId, IReadOnlyDictionary<string, string> Data, IReadOnlyList<string> Labels)
    : PulledArticle(ArticleId, Labels);
public sealed record PulledPoolPerson(string ArticleId, IReadOnlyDictionary<string, string> Data, IReadOnlyList<string> Labels)
    : PulledArticle(ArticleId, Labels);
public sealed record PulledRoom(string ArticleId, string ExternalId, string? RoomName, IReadOnlyList<string> Labels)
    : PulledArticle(ArticleId, Labels);

/// <summary>
/// An organization's mapping inputs: the AIMS company's article format and the organization's field mappings
/// (settings fieldMappings: per entity kind space/person/conference, entity field → article data key).
/// </summary>
public sealed record ArticleMappings(AimsArticleFormat Format, IReadOnlyDictionary<string, Dictionary<string, string>> Fields)
{
    public static ArticleMappings From(OrganizationSettings settings, AimsArticleFormat format) => new(format, settings.FieldMappings);

    /// <summary>The article data key for an entity field: its mapping, else the field's own name.</summary>
    public string Key(string kind, string field) =>
        Fields.TryGetValue(kind, out var map) && map.TryGetValue(field, out var key) && key.Length > 0 ? key : field;

    public bool Maps(string kind, string field) => Fields.TryGetValue(kind, out var map) && map.ContainsKey(field);
}

/// <summary>
/// Entity ↔ AIMS article, in ONE place (AIMS_API §6). Pure functions. Builder rules (§6.2): the data starts with the
/// format's mirrored keys (ARTICLE_ID = articleId, ITEM_NAME = articleName when not empty); then every entity field is
/// copied as a string under its mapped key, except fields starting with "_" (internal), the format's store key (AIMS
/// fills it) and empty values.
/// </summary>
public static class ArticleMapper
{
    public const string PoolPrefix = "POOL-";

    /// <summary>A room's article id: "C" + externalId, so rooms and spaces never collide (§6.3). SQL: conference_article_id (migration 0033).</summary>
    public const string ConferencePrefix = "C";
    public static string ConferenceArticleId(string externalId) => ConferencePrefix + externalId;

    /// <summary>A space's article: its fields, overlaid with its occupant's (a desk label shows who sits there).</summary>
    public static AimsArticle Space(SpaceArticleSource space, ArticleMappings m)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        Copy(data, space.Data, EntityTypes.Space, m);
        if (space.Occupant is { } person) Copy(data, person.Data, EntityTypes.Person, m);
        var name = NameFrom(data, m) ?? (space.Occupant is { } p ? PersonName(p.Data) : null) ?? "";
        return Article(space.ExternalId, name, data, m);
    }

    /// <summary>An unseated person's article under their POOL id.</summary>
    public static AimsArticle PoolPerson(string poolId, PersonArticleSource person, ArticleMappings m)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        Copy(data, person.Data, EntityTypes.Person, m);
        return Article(poolId, NameFrom(data, m) ?? PersonName(person.Data) ?? "", data, m);
    }

    /// <summary>
    /// A room's article: articleName is the room name (else "Conference &lt;id&gt;"). Meeting fields go under the keys the
    /// conference mapping gives meetingName / meetingTime ("HH:MM - HH:MM") / participants (", "-joined); without such a
    /// mapping, the legacy layout data1 = MEETING|AVAILABLE, data2 = name, data3 = start, data4 = end, data5 = participants.
    /// </summary>
    public static AimsArticle Conference(ConferenceArticleSource room, ArticleMappings m)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        var meeting = room.HasMeeting;
        var time = !meeting || string.IsNullOrEmpty(room.StartTime) ? null
            : string.IsNullOrEmpty(room.EndTime) ? room.StartTime : $"{room.StartTime} - {room.EndTime}";
        var participants = meeting ? string.Join(", ", room.Participants.Where(p => p.Length > 0)) : null;
        if (m.Maps(EntityTypes.Conference, "meetingName") || m.Maps(EntityTypes.Conference, "meetingTime") || m.Maps(EntityTypes.Conference, "participants"))
        {
            Put(data, m.Key(EntityTypes.Conference, "meetingName"), meeting ? room.MeetingName : null, m);
            Put(data, m.Key(EntityTypes.Conference, "meetingTime"), time, m);
            Put(data, m.Key(EntityTypes.Conference, "participants"), participants, m);
        }
        else
        {
            Put(data, "data1", meeting ? "MEETING" : "AVAILABLE", m);
            Put(data, "data2", meeting ? room.MeetingName : null, m);
            Put(data, "data3", meeting ? room.StartTime : null, m);
            Put(data, "data4", meeting ? room.EndTime : null, m);
            Put(data, "data5", participants, m);
        }
        if (m.Maps(EntityTypes.Conference, "roomName")) Put(data, m.Key(EntityTypes.Conference, "roomName"), room.RoomName, m);
        var name = room.RoomName.Length > 0 ? room.RoomName : $"Conference {room.ExternalId}";
        return Article(ConferenceArticleId(room.ExternalId), name, data, m);
    }

    /// <summary>
    /// Pull direction: "C…" is a room (id without the C), "POOL-…" an unseated person, anything else a space whose
    /// data comes back under entity field names (the space mapping reversed; mirrored format keys dropped).
    /// </summary>
    public static PulledArticle Read(AimsArticleInfo article, ArticleMappings m)
    {
        var id = article.ArticleId;
        if (id.Length > ConferencePrefix.Length && id.StartsWith(ConferencePrefix, StringComparison.OrdinalIgnoreCase))
            return new PulledRoom(id, id[ConferencePrefix.Length..], article.ArticleName, article.AssignedLabels);
        var kind = id.StartsWith(PoolPrefix, StringComparison.OrdinalIgnoreCase) ? EntityTypes.Person : EntityTypes.Space;
        var reverse = m.Fields.TryGetValue(kind, out var map)
            ? map.Where(kv => kv.Value.Length > 0).GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key)
            : [];
        var skip = new[] { m.Format.Key("articleId"), m.Format.Key("store"), m.Format.Key("nfcUrl") };
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in article.Data)
            if (!skip.Contains(key) && value.Length > 0) data[reverse.GetValueOrDefault(key, key)] = value;
        return kind == EntityTypes.Person
            ? new PulledPoolPerson(id, data, article.AssignedLabels)
            : new PulledSpace(id, id, data, article.AssignedLabels);
    }

    private static AimsArticle Article(string articleId, string articleName, Dictionary<string, string> fields, ArticleMappings m)
    {
        // The mirrored keys come first and win: an entity field can't change what ARTICLE_ID says.
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        if (m.Format.Key("articleId") is { } idKey) data[idKey] = articleId;
        if (articleName.Length > 0 && m.Format.Key("articleName") is { } nameKey) data[nameKey] = articleName;
        foreach (var (k, v) in fields) data.TryAdd(k, v);
        return new AimsArticle(articleId, articleName, "", data);
    }

    private static void Copy(Dictionary<string, string> data, IReadOnlyDictionary<string, string> fields, string kind, ArticleMappings m)
    {
        foreach (var (field, value) in fields)
            if (!field.StartsWith('_')) Put(data, m.Key(kind, field), value, m);
    }

    private static void Put(Dictionary<string, string> data, string key, string? value, ArticleMappings m)
    {
        if (string.IsNullOrEmpty(value) || key == m.Format.Key("store")) return;
        data[key] = value;
    }

    /// <summary>articleName from the data: whatever landed under the format's articleName key (e.g. ITEM_NAME).</summary>
    private static string? NameFrom(Dictionary<string, string> data, ArticleMappings m) =>
        m.Format.Key("articleName") is { } key && data.TryGetValue(key, out var n) && n.Length > 0 ? n : null;

    private static string? PersonName(IReadOnlyDictionary<string, string> person) =>
        person.TryGetValue("name", out var n) && n.Length > 0 ? n
        : person.TryGetValue("NAME", out var upper) && upper.Length > 0 ? upper : null;
}
