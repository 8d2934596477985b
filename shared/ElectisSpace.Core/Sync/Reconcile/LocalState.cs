using System.Security.Cryptography;
using System.Text;
using ElectisSpace.Core.Aims;

namespace ElectisSpace.Core.Sync.Reconcile;

/// <summary>A person as the sync reads it (the occupant of a space, or an unseated person under their POOL id).</summary>
public sealed record LocalPerson(Guid Id, int Version, Dictionary<string, string> Data, bool Dirty, DateTimeOffset UpdatedAt);

/// <summary>
/// One server-side article and what it is built from. Space: SpaceId/SpaceVersion/SpaceData (+ Occupant). Person (POOL):
/// Occupant. Conference: RoomId/RoomVersion/RoomName. Article is built by <see cref="ArticleMapper"/>.
/// </summary>
public sealed record LocalEntity(string ArticleId, string EntityType, Guid EntityId, int Version, AimsArticle Article, string Hash,
    string? Label, bool Dirty, DateTimeOffset UpdatedAt, Dictionary<string, string> Data, LocalPerson? Occupant)
{
    public LocalSide ToSide() => new(ArticleId, EntityType, EntityId, Hash, Label, Dirty, UpdatedAt, HasLabels: EntityType != EntityTypes.Person);
}

/// <summary>
/// A content hash of an article as both sides can compute it: name + data, keys sorted, empty values and the keys AIMS
/// fills itself (the format's articleId/store/nfcUrl mirrors) left out. Equal hashes = AIMS shows what the server would write.
/// </summary>
public static class ArticleHash
{
    public static string Of(string? name, IReadOnlyDictionary<string, string> data, AimsArticleFormat format)
    {
        var skip = new[] { format.Key("articleId"), format.Key("store"), format.Key("nfcUrl") };
        var sb = new StringBuilder().Append(name ?? "").Append('\u001e');
        foreach (var (k, v) in data.Where(kv => kv.Value.Length > 0 && !skip.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.Append(k).Append('\u001f').Append(v).Append('\u001e');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..32];
    }

    public static string Of(AimsArticle a, AimsArticleFormat f) => Of(a.ArticleName, a.Data, f);
    public static string Of(AimsArticleInfo a, AimsArticleFormat f) => Of(a.ArticleName, a.Data, f);
}

/// <summary>Reads the server side of an organization (spaces with occupants, unseated people, rooms) as articles.</summary>
public static class LocalState
{
    private const string Dirty = "sync_status <> 'synced'";

    /// <summary>Every server-side article of the organization, or only those with the given article ids.</summary>
    public static async Task<List<LocalEntity>> LoadAsync(NpgsqlConnection c, Guid orgId, ArticleMappings m, IReadOnlyCollection<string>? only = null,
        NpgsqlTransaction? tx = null)
    {
        var ids = only?.ToArray();
        var filter = ids is null ? "" : "AND {0} = ANY(@ids)";
        var result = new List<LocalEntity>();

        var spaces = await c.QueryAsync<SpaceRow>($"""
            SELECT s.id, s.external_id, s.label_code, s.data::text AS data, s.{Dirty} AS dirty, s.updated_at, s.version,
                   p.id AS person_id, p.data::text AS person_data, p.{Dirty} AS person_dirty, p.updated_at AS person_updated_at, p.version AS person_version
            FROM spaces s LEFT JOIN people p ON p.org_id = s.org_id AND p.assigned_space_id = s.id
            WHERE s.org_id = @orgId {string.Format(filter, "s.external_id")}
            """, new { orgId, ids }, tx);
        foreach (var s in spaces)
        {
            var data = Parse(s.Data);
            var occupant = s.PersonId is { } pid
                ? new LocalPerson(pid, s.PersonVersion!.Value, Parse(s.PersonData!), s.PersonDirty!.Value, Utc(s.PersonUpdatedAt!.Value))
                : null;
            var article = ArticleMapper.Space(new SpaceArticleSource(s.ExternalId, data, occupant is null ? null : new PersonArticleSource(occupant.Data)), m);
            var updated = Utc(s.UpdatedAt);
            if (occupant is not null && occupant.UpdatedAt > updated) updated = occupant.UpdatedAt;
            result.Add(new LocalEntity(s.ExternalId, EntityTypes.Space, s.Id, s.Version, article, ArticleHash.Of(article, m.Format), s.LabelCode,
                s.Dirty || occupant?.Dirty == true, updated, data, occupant));
        }

        var pool = await c.QueryAsync<PoolRow>($"""
            SELECT id, virtual_space_id, data::text AS data, {Dirty} AS dirty, updated_at, version FROM people
            WHERE org_id = @orgId AND assigned_space_id IS NULL {string.Format(filter, "virtual_space_id")}
            """, new { orgId, ids }, tx);
        foreach (var p in pool)
        {
            var person = new LocalPerson(p.Id, p.Version, Parse(p.Data), p.Dirty, Utc(p.UpdatedAt));
            var article = ArticleMapper.PoolPerson(p.VirtualSpaceId, new PersonArticleSource(person.Data), m);
            result.Add(new LocalEntity(p.VirtualSpaceId, EntityTypes.Person, p.Id, p.Version, article, ArticleHash.Of(article, m.Format), null,
                p.Dirty, person.UpdatedAt, person.Data, person));
        }

        var rooms = await c.QueryAsync<RoomRow>($"""
            SELECT id, external_id, room_name, label_code, has_meeting, meeting_name, start_time, end_time, participants, {Dirty} AS dirty, updated_at, version
            FROM conference_rooms WHERE org_id = @orgId {string.Format(filter, "conference_article_id(external_id)")}
            """, new { orgId, ids }, tx);
        foreach (var r in rooms)
        {
            var article = ArticleMapper.Conference(new ConferenceArticleSource(r.ExternalId, r.RoomName, r.HasMeeting, r.MeetingName,
                r.StartTime, r.EndTime, r.Participants), m);
            result.Add(new LocalEntity(article.ArticleId, EntityTypes.Conference, r.Id, r.Version, article, ArticleHash.Of(article, m.Format), r.LabelCode,
                r.Dirty, Utc(r.UpdatedAt), new Dictionary<string, string> { ["roomName"] = r.RoomName }, null));
        }
        return result;
    }

    public static Dictionary<string, string> Parse(string json)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json) ?? [])
            if (v.ValueKind != JsonValueKind.Null) result[k] = v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
        return result;
    }

    private sealed class SpaceRow
    {
        public Guid Id { get; set; } public string ExternalId { get; set; } = ""; public string? LabelCode { get; set; }
        public string Data { get; set; } = "{}"; public bool Dirty { get; set; } public DateTime UpdatedAt { get; set; } public int Version { get; set; }
        public Guid? PersonId { get; set; } public string? PersonData { get; set; } public bool? PersonDirty { get; set; }
        public DateTime? PersonUpdatedAt { get; set; } public int? PersonVersion { get; set; }
    }

    private sealed class PoolRow
    {
        public Guid Id { get; set; } public string VirtualSpaceId { get; set; } = ""; public string Data { get; set; } = "{}";
        public bool Dirty { get; set; } public DateTime UpdatedAt { get; set; } public int Version { get; set; }
    }

    private sealed class RoomRow
    {
        public Guid Id { get; set; } public string ExternalId { get; set; } = ""; public string RoomName { get; set; } = "";
        public string? LabelCode { get; set; } public bool HasMeeting { get; set; } public string? MeetingName { get; set; }
        public string? StartTime { get; set; } public string? EndTime { get; set; } public string[] Participants { get; set; } = [];
        public bool Dirty { get; set; } public DateTime UpdatedAt { get; set; } public int Version { get; set; }
    }

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}
