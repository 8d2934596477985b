using System.Text.RegularExpressions;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Labels;
using ElectisSpace.Core.Sync;

namespace ElectisSpace.Core.Conference;

public sealed record CreateConferenceRoomRequest(string? ExternalId, string? RoomName, string? LabelCode);
/// <summary>roomName/labelCode: absent keeps; labelCode null clears.</summary>
public sealed record UpdateConferenceRoomRequest(string? RoomName, string? LabelCode, int? Version);
/// <summary>Meeting details when switching a meeting on; ignored when switching off. Times are HH:MM (24 h).</summary>
public sealed record ToggleMeetingRequest(string? MeetingName, string? StartTime, string? EndTime, string[]? Participants);
/// <summary>page 1..7; without it the label flips between page 1 (available) and 2 (meeting).</summary>
public sealed record FlipPageRequest(int? Page);

public sealed class ConferenceRoomRow
{
    public Guid Id { get; init; }
    public string ExternalId { get; init; } = "";
    public string RoomName { get; init; } = "";
    public string? LabelCode { get; init; }
    public bool HasMeeting { get; init; }
    public string? MeetingName { get; init; }
    public string? StartTime { get; init; }
    public string? EndTime { get; init; }
    public string[] Participants { get; init; } = [];
    public int CurrentPage { get; init; }
    public string SyncStatus { get; init; } = Domain.SyncStatus.Pending.Text();
    public DateTimeOffset? LastSyncedAt { get; init; }
    public string? SyncError { get; init; }
    public int Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed record ConferenceRoomDto(Guid Id, string ExternalId, string RoomName, string? LabelCode, bool HasMeeting, string? MeetingName,
    string? StartTime, string? EndTime, IReadOnlyList<string> Participants, int CurrentPage, SyncStatus SyncStatus,
    DateTimeOffset? LastSyncedAt, string? SyncError, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ConferenceRoomDto From(ConferenceRoomRow r) => new(r.Id, r.ExternalId, r.RoomName, r.LabelCode, r.HasMeeting, r.MeetingName,
        r.StartTime, r.EndTime, r.Participants, r.CurrentPage, EnumNames.Parse<SyncStatus>(r.SyncStatus), r.LastSyncedAt, r.SyncError,
        r.Version, r.CreatedAt, r.UpdatedAt);
}

/// <summary>
/// /api/conference: meeting rooms whose labels show available / in a meeting. Every write locks the room, then its label
/// claims: the rooms-then-labels part of the assignment lock order (People.PeopleAssignments).
/// </summary>
public static partial class ConferenceHandlers
{
    private const string Entity = EntityTypes.Conference;
    public const int AvailablePage = 1, MeetingPage = 2;
    private const string ColumnList = """
        id, external_id, room_name, label_code, has_meeting, meeting_name, start_time, end_time, participants, current_page,
               sync_status, last_synced_at, sync_error, version, created_at, updated_at
        """;
    private const string Select = $"SELECT {ColumnList}\nFROM conference_rooms";
    private static readonly Dictionary<string, string> SortColumns = new()
    {
        ["externalId"] = "external_id", ["roomName"] = "room_name", ["hasMeeting"] = "has_meeting",
        ["syncStatus"] = "sync_status", ["createdAt"] = "created_at", ["updatedAt"] = "updated_at",
    };

    public static Task<IResult> List(HttpRequest req) => Api.RunList(req, async ctx =>
    {
        var page = PageRequest.From(req, defaultLimit: 50, maxLimit: 100);
        var search = Query.String(req, "search");
        var hasMeeting = Query.Bool(req, "hasMeeting");
        var hasLabel = Query.Bool(req, "hasLabel");
        var sort = Query.SortSql(req, SortColumns, "externalId");
        return await ctx.Service<ListCache>().PageAsync(ctx, async (c, totals) =>
        {
            var where = new SqlWhere("org_id = @orgId", ctx.OrgId).And("has_meeting = @hasMeeting", "hasMeeting", hasMeeting);
            if (hasLabel is { } labelled) where.And(labelled ? "label_code IS NOT NULL" : "label_code IS NULL");
            where.AddSearch(search, "search_text", "external_id ILIKE @pattern OR room_name ILIKE @pattern OR meeting_name ILIKE @pattern");
            var (rows, total) = await ListPage.ReadAsync<ConferenceRoomRow>(c, $"{Select} {where} ORDER BY {sort}, id {page.LimitSql(where.Parameters)}",
                $"SELECT count(*) FROM conference_rooms {where}", where.Parameters, totals);
            return ApiResults.PageBody(rows.Select(ConferenceRoomDto.From).ToList(), page, total);
        });
    });

    public static Task<IResult> Get(HttpRequest req, string? id) => Api.Run(req, async ctx =>
    {
        var roomId = RequestContext.ParseId(id, "Conference room");
        return await ctx.Service<ListCache>().ItemAsync(ctx, async c =>
        {
            var row = await GetAsync(c, null, ctx.User.OrgId, roomId) ?? throw ApiException.NotFound("Conference room");
            return (ConferenceRoomDto.From(row), row.Version);
        });
    });

    public static Task<IResult> Create(HttpRequest req) => Api.RunWrite(req, async ctx =>
    {
        var body = await ctx.ReadJsonAsync<CreateConferenceRoomRequest>();
        new Validator().Required("externalId", body.ExternalId).ExternalId("externalId", body.ExternalId?.Trim())
            .Required("roomName", body.RoomName).MaxLength("roomName", body.RoomName?.Trim(), 100)
            .LabelCode("labelCode", body.LabelCode?.Trim()).ThrowIfInvalid();
        var orgId = ctx.User.OrgId;
        var label = Text.OrNull(body.LabelCode);
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var id = await c.QuerySingleAsync<Guid>("""
                INSERT INTO conference_rooms (org_id, external_id, room_name, label_code) VALUES (@orgId, @externalId, @roomName, @label) RETURNING id
                """, new { orgId, externalId = body.ExternalId!.Trim(), roomName = body.RoomName!.Trim(), label }, tx);
            await Outbox.EnqueueAsync(c, tx, orgId, Entity, id, SyncJobs.UpsertArticle);
            var created = (await GetAsync(c, tx, orgId, id))!;
            await MoveLabelAsync(c, tx, orgId, created, null, label);
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Create, Entity, id, null, ConferenceRoomDto.From(created));
            return Concurrency.WithETag(ApiResults.Created(ConferenceRoomDto.From(created)), created.Version);
        }, ctx.Aborted);
    });

    public static Task<IResult> Update(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var roomId = RequestContext.ParseId(id, "Conference room");
        var patch = await ctx.ReadPatchAsync<UpdateConferenceRoomRequest>();
        var body = patch.Body;
        new Validator().MaxLength("roomName", body.RoomName?.Trim(), 100).LabelCode("labelCode", body.LabelCode?.Trim())
            .When(patch.Has("roomName") && string.IsNullOrWhiteSpace(body.RoomName), "roomName", "roomName cannot be empty.")
            .When(!patch.Has("roomName") && !patch.Has("labelCode"), "body", "Give at least one of roomName, labelCode.").ThrowIfInvalid();
        var expected = Concurrency.ExpectedVersion(req, body.Version);
        var row = await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            var before = await GetAsync(c, tx, orgId, roomId, forUpdate: true) ?? throw ApiException.NotFound("Conference room");
            Concurrency.Check(expected, before.Version, "This conference room");
            var label = patch.Has("labelCode") ? Text.OrNull(body.LabelCode) : before.LabelCode;
            await c.ExecuteAsync("""
                UPDATE conference_rooms SET room_name = @roomName, label_code = @label, sync_status = 'pending', sync_error = NULL,
                       version = version + 1, updated_at = now()
                WHERE org_id = @orgId AND id = @roomId
                """, new { orgId, roomId, roomName = body.RoomName?.Trim() ?? before.RoomName, label }, tx);
            var after = (await GetAsync(c, tx, orgId, roomId))!;
            if (after.RoomName != before.RoomName) await Outbox.EnqueueAsync(c, tx, orgId, Entity, roomId, SyncJobs.UpsertArticle);
            await MoveLabelAsync(c, tx, orgId, after, before.LabelCode, label);
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Update, Entity, roomId, ConferenceRoomDto.From(before), ConferenceRoomDto.From(after));
            return after;
        }, ctx.Aborted);
        Concurrency.SetETag(req, row.Version);
        return ApiResults.Ok(ConferenceRoomDto.From(row));
    });

    public static Task<IResult> Delete(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var roomId = RequestContext.ParseId(id, "Conference room");
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            var before = await GetAsync(c, tx, orgId, roomId, forUpdate: true) ?? throw ApiException.NotFound("Conference room");
            await MoveLabelAsync(c, tx, orgId, before, before.LabelCode, null);
            await Outbox.EnqueueAsync(c, tx, orgId, Entity, roomId, SyncJobs.DeleteArticle, new { articleId = ElectisSpace.Core.Aims.ArticleMapper.ConferenceArticleId(before.ExternalId) });
            await c.ExecuteAsync("DELETE FROM conference_rooms WHERE org_id = @orgId AND id = @roomId", new { orgId, roomId }, tx);
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Delete, Entity, roomId, ConferenceRoomDto.From(before));
            return ApiResults.NoContent();
        }, ctx.Aborted);
    });

    /// <summary>Meeting on (with optional details) or off (details cleared); the label follows to page 2 or 1.</summary>
    public static Task<IResult> Toggle(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var roomId = RequestContext.ParseId(id, "Conference room");
        var body = await ctx.ReadOptionalJsonAsync<ToggleMeetingRequest>();
        var v = new Validator().MaxLength("meetingName", body.MeetingName?.Trim(), 255)
            .Matches("startTime", body.StartTime, TimeRegex(), "startTime must be HH:MM (24 h).")
            .Matches("endTime", body.EndTime, TimeRegex(), "endTime must be HH:MM (24 h).")
            .When(body.Participants is { Length: > 100 }, "participants", "At most 100 participants.")
            .When(body.Participants?.Any(p => string.IsNullOrWhiteSpace(p) || p.Length > 100) == true, "participants", "Participants are 1-100 characters each.");
        if (body.StartTime is { } st && body.EndTime is { } et && TimeRegex().IsMatch(st) && TimeRegex().IsMatch(et))
            v.When(string.CompareOrdinal(et, st) <= 0, "endTime", "endTime must be after startTime.");
        v.ThrowIfInvalid();

        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            // One round trip: the lock and the room as it was, then the update, which turns the meeting on or off from the
            // locked row's own has_meeting (so it needs nothing from the first statement) and returns the room as it is.
            ConferenceRoomRow? before, after;
            await using (var read = await c.QueryMultipleAsync($"""
                {Select} WHERE org_id = @orgId AND id = @roomId FOR UPDATE;
                UPDATE conference_rooms SET has_meeting = NOT has_meeting,
                       meeting_name = CASE WHEN has_meeting THEN NULL ELSE @name END,
                       start_time = CASE WHEN has_meeting THEN NULL ELSE @start END,
                       end_time = CASE WHEN has_meeting THEN NULL ELSE @end END,
                       participants = CASE WHEN has_meeting THEN ARRAY[]::text[] ELSE @participants END,
                       current_page = CASE WHEN has_meeting THEN @availablePage ELSE @meetingPage END,
                       sync_status = 'pending', sync_error = NULL, version = version + 1, updated_at = now()
                WHERE org_id = @orgId AND id = @roomId
                RETURNING {ColumnList}
                """, new
            {
                orgId, roomId,
                name = Text.OrNull(body.MeetingName), start = body.StartTime, end = body.EndTime,
                participants = body.Participants?.Select(p => p.Trim()).ToArray() ?? [],
                availablePage = AvailablePage, meetingPage = MeetingPage,
            }, tx))
            {
                before = await read.ReadSingleOrDefaultAsync<ConferenceRoomRow>();
                after = await read.ReadSingleOrDefaultAsync<ConferenceRoomRow>();
            }
            if (before is null || after is null) throw ApiException.NotFound("Conference room");
            var on = after.HasMeeting;
            await Outbox.EnqueueAsync(c, tx, orgId, Entity, roomId, SyncJobs.UpsertArticle);
            if (before.LabelCode is { } label)
                await Outbox.EnqueueAsync(c, tx, orgId, Entity, roomId, SyncJobs.FlipPage, new { labelCode = label, page = on ? MeetingPage : AvailablePage });
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Toggle, Entity, roomId, ConferenceRoomDto.From(before), ConferenceRoomDto.From(after));
            return ApiResults.Ok(ConferenceRoomDto.From(after));
        }, ctx.Aborted);
    });

    public static Task<IResult> FlipPage(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var roomId = RequestContext.ParseId(id, "Conference room");
        var body = await ctx.ReadOptionalJsonAsync<FlipPageRequest>();
        new Validator().When(body.Page is < 1 or > 7, "page", "page must be 1 to 7.").ThrowIfInvalid();
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            var before = await GetAsync(c, tx, orgId, roomId, forUpdate: true) ?? throw ApiException.NotFound("Conference room");
            if (before.LabelCode is not { } label) throw ApiException.Business("This conference room has no label to flip.");
            var page = body.Page ?? (before.CurrentPage == AvailablePage ? MeetingPage : AvailablePage);
            await c.ExecuteAsync("""
                UPDATE conference_rooms SET current_page = @page, sync_status = 'pending', version = version + 1, updated_at = now()
                WHERE org_id = @orgId AND id = @roomId
                """, new { orgId, roomId, page }, tx);
            await Outbox.EnqueueAsync(c, tx, orgId, Entity, roomId, SyncJobs.FlipPage, new { labelCode = label, page });
            var after = (await GetAsync(c, tx, orgId, roomId))!;
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.FlipPage, Entity, roomId, ConferenceRoomDto.From(before), ConferenceRoomDto.From(after));
            return ApiResults.Ok(ConferenceRoomDto.From(after));
        }, ctx.Aborted);
    });


    private static Task<ConferenceRoomRow?> GetAsync(NpgsqlConnection c, NpgsqlTransaction? tx, Guid orgId, Guid id, bool forUpdate = false) =>
        c.QuerySingleOrDefaultAsync<ConferenceRoomRow>($"{Select} WHERE org_id = @orgId AND id = @id{(forUpdate ? " FOR UPDATE" : "")}", new { orgId, id }, tx);

    private static Task MoveLabelAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, ConferenceRoomRow room, string? oldLabel, string? newLabel) =>
        LabelAssignments.MoveAsync(c, tx, orgId, LabelAssignments.Conference, room.Id, oldLabel, newLabel,
            ElectisSpace.Core.Aims.ArticleMapper.ConferenceArticleId(room.ExternalId));

    [GeneratedRegex(@"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    private static partial Regex TimeRegex();
}
