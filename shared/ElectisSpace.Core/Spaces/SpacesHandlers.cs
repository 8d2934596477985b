using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Labels;
using ElectisSpace.Core.People;
using ElectisSpace.Core.Sync;

namespace ElectisSpace.Core.Spaces;

public sealed record CreateSpaceRequest(string? ExternalId, string? LabelCode, string? TemplateName, Dictionary<string, JsonElement>? Data);
/// <summary>labelCode/templateName: null clears, absent keeps. data: shallow merge, a null field removes it.</summary>
public sealed record UpdateSpaceRequest(string? LabelCode, string? TemplateName, Dictionary<string, JsonElement>? Data, int? Version);
public sealed record AssignLabelRequest(string? LabelCode);

/// <summary>
/// /api/spaces: desks and rooms, each one AIMS article (id = externalId). Writes lock the space, then its occupant, then
/// its label claims: the assignment lock order (People.PeopleAssignments).
/// </summary>
public static class SpacesHandlers
{
    /// <summary>CSV import; see SpacesImport.</summary>
    public static Task<IResult> Import(HttpRequest req) => SpacesImport.Handle(req);

    private const string Entity = EntityTypes.Space;

    public static Task<IResult> List(HttpRequest req) => Api.RunList(req, async ctx =>
    {
        var status = Query.Enum<SyncStatus>(req, "syncStatus");
        var filter = new SpaceFilter(Query.String(req, "search"), Query.Bool(req, "hasLabel"),
            status is { } st ? EnumNames.Name(st) : null, ListSort.From(req, SpacesRepository.SortColumns, "externalId"));
        var (page, cursor) = ListCursor.Read(req, filter.Sort, defaultLimit: 50, maxLimit: 100);
        return await ctx.Service<ListCache>().PageAsync(ctx, async (c, totals) =>
        {
            var (rows, total) = await SpacesRepository.ListAsync(c, ctx.OrgId, filter, page, cursor, totals);
            var next = rows.Count == 0 ? null : ListCursor.Next(page, total, rows.Count, filter.Sort, rows[^1].SortValue, rows[^1].Id);
            return ApiResults.PageBody(rows.Select(SpaceDto.From).ToList(), page, total, next);
        });
    });

    public static Task<IResult> Get(HttpRequest req, string? id) => Api.Run(req, async ctx =>
    {
        var spaceId = RequestContext.ParseId(id, "Space");
        return await ctx.Service<ListCache>().ItemAsync(ctx, async c =>
        {
            var row = await SpacesRepository.GetAsync(c, ctx.User.OrgId, spaceId) ?? throw ApiException.NotFound("Space");
            return (SpaceDto.From(row), row.Version);
        });
    });

    public static Task<IResult> Create(HttpRequest req) => Api.RunWrite(req, async ctx =>
    {
        var body = await ctx.ReadJsonAsync<CreateSpaceRequest>();
        var v = new Validator().Required("externalId", body.ExternalId).ExternalId("externalId", body.ExternalId?.Trim())
            .LabelCode("labelCode", body.LabelCode?.Trim()).MaxLength("templateName", body.TemplateName, 100);
        var data = EntityData.WithoutNulls(EntityData.Normalize(body.Data, "data", v));
        v.ThrowIfInvalid();
        var orgId = ctx.User.OrgId;
        var label = Text.OrNull(body.LabelCode);
        var externalId = body.ExternalId!.Trim();

        // The answer is built inside the transaction, so one kept under an Idempotency-Key is written with the commit.
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var id = await c.QuerySingleAsync<Guid>("""
                INSERT INTO spaces (org_id, external_id, label_code, template_name, data)
                VALUES (@orgId, @externalId, @label, @template, @data::jsonb) RETURNING id
                """, new { orgId, externalId, label, template = Text.OrNull(body.TemplateName), data = Json.Serialize(data) }, tx);
            await Outbox.EnqueueAsync(c, tx, orgId, Entity, id, SyncJobs.UpsertArticle);
            await LabelAssignments.MoveAsync(c, tx, orgId, LabelAssignments.Space, id, null, label, externalId, Text.OrNull(body.TemplateName));
            var row = (await SpacesRepository.GetAsync(c, orgId, id, tx))!;
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Create, Entity, id, null, SpaceDto.From(row));
            return Concurrency.WithETag(ApiResults.Created(SpaceDto.From(row)), row.Version);
        }, ctx.Aborted);
    });

    public static Task<IResult> Update(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var spaceId = RequestContext.ParseId(id, "Space");
        var patch = await ctx.ReadPatchAsync<UpdateSpaceRequest>();
        var body = patch.Body;
        var v = new Validator().LabelCode("labelCode", body.LabelCode?.Trim()).MaxLength("templateName", body.TemplateName, 100)
            .When(!patch.Has("labelCode") && !patch.Has("templateName") && body.Data is null, "body", "Give at least one of labelCode, templateName, data.");
        var dataPatch = EntityData.Normalize(body.Data, "data", v);
        v.ThrowIfInvalid();
        var expected = Concurrency.ExpectedVersion(req, body.Version);

        var after = await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            var before = await SpacesRepository.GetAsync(c, orgId, spaceId, tx, forUpdate: true) ?? throw ApiException.NotFound("Space");
            Concurrency.Check(expected, before.Version, "This space");
            var label = patch.Has("labelCode") ? Text.OrNull(body.LabelCode) : before.LabelCode;
            var template = patch.Has("templateName") ? Text.OrNull(body.TemplateName) : before.TemplateName;
            var data = EntityData.Merge(EntityData.Parse(before.Data), dataPatch);
            await SetAsync(c, tx, orgId, spaceId, label, template, data);
            await MoveLabelAsync(c, tx, orgId, before, label, template);
            if (template != before.TemplateName || body.Data is not null)
                await Outbox.EnqueueAsync(c, tx, orgId, Entity, spaceId, SyncJobs.UpsertArticle);
            var row = (await SpacesRepository.GetAsync(c, orgId, spaceId, tx))!;
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Update, Entity, spaceId, SpaceDto.From(before), SpaceDto.From(row));
            return row;
        }, ctx.Aborted);
        Concurrency.SetETag(req, after.Version);
        return ApiResults.Ok(SpaceDto.From(after));
    });

    public static Task<IResult> AssignLabel(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var spaceId = RequestContext.ParseId(id, "Space");
        var body = await ctx.ReadJsonAsync<AssignLabelRequest>();
        new Validator().Required("labelCode", body.LabelCode).LabelCode("labelCode", body.LabelCode?.Trim()).ThrowIfInvalid();
        var label = body.LabelCode!.Trim();

        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            var before = await SpacesRepository.GetAsync(c, orgId, spaceId, tx, forUpdate: true) ?? throw ApiException.NotFound("Space");
            await SetAsync(c, tx, orgId, spaceId, label, before.TemplateName, EntityData.Parse(before.Data));
            await MoveLabelAsync(c, tx, orgId, before, label, before.TemplateName);
            var row = (await SpacesRepository.GetAsync(c, orgId, spaceId, tx))!;
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.AssignLabel, Entity, spaceId, SpaceDto.From(before), SpaceDto.From(row));
            return Concurrency.WithETag(ApiResults.Ok(SpaceDto.From(row)), row.Version);
        }, ctx.Aborted);
    });

    public static Task<IResult> Delete(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var spaceId = RequestContext.ParseId(id, "Space");
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            // Lock order (PeopleAssignments): the space, then its occupant, then its label. The space is read after its
            // lock with a fresh statement, so an assign that committed while we waited shows as the occupant.
            if (!await PeopleAssignments.LockSpaceAsync(c, tx, orgId, spaceId)) throw ApiException.NotFound("Space");
            var before = (await SpacesRepository.GetAsync(c, orgId, spaceId, tx))!;
            await PeopleAssignments.ReleaseOccupantAsync(c, tx, ctx.Audit, orgId, spaceId);
            await MoveLabelAsync(c, tx, orgId, before, null, null);
            await Outbox.EnqueueAsync(c, tx, orgId, Entity, spaceId, SyncJobs.DeleteArticle, new { articleId = before.ExternalId });
            try
            {
                await c.ExecuteAsync("DELETE FROM spaces WHERE org_id = @orgId AND id = @spaceId", new { orgId, spaceId }, tx);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && e.ConstraintName == "people_space_fkey")
            {
                // Only a writer outside the lock order could seat someone here meanwhile; the space stays, and the client may retry.
                throw ApiException.Conflict("Someone was assigned to this space meanwhile; it was not deleted.", new { spaceId });
            }
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Delete, Entity, spaceId, SpaceDto.From(before));
            return ApiResults.NoContent();
        }, ctx.Aborted);
    });

    private static Task SetAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid id, string? label, string? template,
        Dictionary<string, string> data) =>
        c.ExecuteAsync("""
            UPDATE spaces SET label_code = @label, template_name = @template, data = @data::jsonb, sync_status = 'pending',
                   sync_error = NULL, version = version + 1, updated_at = now()
            WHERE org_id = @orgId AND id = @id
            """, new { orgId, id, label, template, data = Json.Serialize(data) }, tx);

    /// <summary>Label change: claim the new code (409 if held elsewhere), and queue unlink of the old and link of the new.</summary>
    private static Task MoveLabelAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, SpaceRow before, string? label, string? template) =>
        LabelAssignments.MoveAsync(c, tx, orgId, LabelAssignments.Space, before.Id, before.LabelCode, label, before.ExternalId, template);

}
