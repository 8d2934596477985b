using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Core.Sync;

/// <summary>Reads the current state of the entities behind upsert jobs and builds their articles with <see cref="ArticleMapper"/>.</summary>
public static class ArticleSources
{
    // Classes, not positional records: Dapper binds constructors by exact column types.
    private sealed class SpaceRow
    {
        public Guid Id { get; init; }
        public string ExternalId { get; init; } = "";
        public string Data { get; init; } = "{}";
        public string? PersonData { get; init; }
    }

    private sealed class PersonRow
    {
        public Guid Id { get; init; }
        public string Data { get; init; } = "{}";
        public string? VirtualSpaceId { get; init; }
        public string? SpaceExternalId { get; init; }
        public string? SpaceData { get; init; }
    }

    private sealed class RoomRow
    {
        public Guid Id { get; init; }
        public string ExternalId { get; init; } = "";
        public string RoomName { get; init; } = "";
        public bool HasMeeting { get; init; }
        public string? MeetingName { get; init; }
        public string? StartTime { get; init; }
        public string? EndTime { get; init; }
        public string[] Participants { get; init; } = [];
    }

    /// <summary>Job id → the article to push; jobs whose entity no longer exists are absent.</summary>
    public static Task<Dictionary<Guid, AimsArticle>> ReadAsync(Db db, Guid orgId, IReadOnlyList<PushJob> jobs, ArticleMappings m,
        CancellationToken ct) => db.ReadAsync(async c =>
    {
        Guid[] Ids(string type) => jobs.Where(j => j.EntityType == type).Select(j => j.EntityId).Distinct().ToArray();

        var spaces = (await c.QueryAsync<SpaceRow>("""
            SELECT s.id, s.external_id, s.data::text AS data, p.data::text AS person_data
            FROM spaces s LEFT JOIN people p ON p.assigned_space_id = s.id
            WHERE s.org_id = @orgId AND s.id = ANY(@ids)
            """, new { orgId, ids = Ids(EntityTypes.Space) })).ToDictionary(r => r.Id,
            r => ArticleMapper.Space(new SpaceArticleSource(r.ExternalId, EntityData.Parse(r.Data),
                r.PersonData is null ? null : new PersonArticleSource(EntityData.Parse(r.PersonData))), m));

        var people = (await c.QueryAsync<PersonRow>("""
            SELECT p.id, p.data::text AS data, p.virtual_space_id, s.external_id AS space_external_id, s.data::text AS space_data
            FROM people p LEFT JOIN spaces s ON s.id = p.assigned_space_id
            WHERE p.org_id = @orgId AND p.id = ANY(@ids)
            """, new { orgId, ids = Ids(EntityTypes.Person) })).ToDictionary(r => r.Id, r =>
        {
            var person = new PersonArticleSource(EntityData.Parse(r.Data));
            // A seated person is shown by their space's article; an unseated one by their POOL id's.
            return r.SpaceExternalId is { } spaceId
                ? ArticleMapper.Space(new SpaceArticleSource(spaceId, EntityData.Parse(r.SpaceData), person), m)
                : ArticleMapper.PoolPerson(r.VirtualSpaceId!, person, m);
        });

        var rooms = (await c.QueryAsync<RoomRow>("""
            SELECT id, external_id, room_name, has_meeting, meeting_name, start_time, end_time, participants
            FROM conference_rooms WHERE org_id = @orgId AND id = ANY(@ids)
            """, new { orgId, ids = Ids(EntityTypes.Conference) })).ToDictionary(r => r.Id,
            r => ArticleMapper.Conference(new ConferenceArticleSource(r.ExternalId, r.RoomName, r.HasMeeting, r.MeetingName,
                r.StartTime, r.EndTime, r.Participants), m));

        var result = new Dictionary<Guid, AimsArticle>();
        foreach (var j in jobs)
        {
            var source = j.EntityType switch { EntityTypes.Space => spaces, EntityTypes.Person => people, EntityTypes.Conference => rooms, _ => [] };
            if (source.TryGetValue(j.EntityId, out var a)) result[j.Id] = a;
        }
        return result;
    }, ct);
}
