using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Sync;

namespace ElectisSpace.Core.People;

public sealed record CreatePersonRequest(string? ExternalId, Dictionary<string, JsonElement>? Data);
/// <summary>externalId: null clears, absent keeps. data: shallow merge, a null field removes it.</summary>
public sealed record UpdatePersonRequest(string? ExternalId, Dictionary<string, JsonElement>? Data, int? Version);
public sealed record AssignPersonRequest(Guid? SpaceId);

/// <summary>/api/people: the people shown on desk labels, and where they sit.</summary>
public static class PeopleHandlers
{
    /// <summary>CSV import; see PeopleImport.</summary>
    public static Task<IResult> Import(HttpRequest req) => PeopleImport.Handle(req);

    private const string Entity = EntityTypes.Person;

    public static Task<IResult> List(HttpRequest req) => Api.RunList(req, async ctx =>
    {
        var filter = ReadFilter(req);
        var (page, cursor) = ListCursor.Read(req, filter.Sort, defaultLimit: 50, maxLimit: 100);
        return await ctx.Service<ListCache>().PageAsync(ctx, async (c, totals) =>
        {
            var (rows, total) = await PeopleRepository.ListAsync(c, ctx.OrgId, filter, page, cursor, totals);
            var next = rows.Count == 0 ? null : ListCursor.Next(page, total, rows.Count, filter.Sort, rows[^1].SortValue, rows[^1].Id);
            return ApiResults.PageBody(rows.Select(PersonDto.From).ToList(), page, total, next);
        });
    });

    /// <summary>
    /// Every person the list's filters select, in its order, as one JSON array streamed while PostgreSQL sends the rows:
    /// memory stays bounded whatever the count, and a client gets all 10,000 people in one call.
    /// </summary>
    public static Task<IResult> Export(HttpRequest req) => Api.Run(req, ctx =>
    {
        var filter = ReadFilter(req);
        var orgId = ctx.User.OrgId;
        return Task.FromResult(JsonArrayStream.Result(ctx.Service<Db>(), c => PeopleRepository.StreamAsync(c, orgId, filter), PersonDto.From));
    });

    private static PeopleFilter ReadFilter(HttpRequest req) =>
        new(Query.String(req, "search"), Query.Bool(req, "assigned"), Query.Guid(req, "listId"),
            ListSort.From(req, PeopleRepository.SortColumns, "createdAt"));

    public static Task<IResult> Get(HttpRequest req, string? id) => Api.Run(req, async ctx =>
    {
        var personId = RequestContext.ParseId(id, "Person");
        return await ctx.Service<ListCache>().ItemAsync(ctx, async c =>
        {
            var row = await PeopleRepository.GetAsync(c, ctx.User.OrgId, personId) ?? throw ApiException.NotFound("Person");
            return (PersonDto.From(row), row.Version);
        });
    });

    public static Task<IResult> Create(HttpRequest req) => Api.RunWrite(req, async ctx =>
    {
        var body = await ctx.ReadJsonAsync<CreatePersonRequest>();
        var v = new Validator().MaxLength("externalId", body.ExternalId?.Trim(), 64);
        var data = EntityData.WithoutNulls(EntityData.Normalize(body.Data, "data", v));
        v.ThrowIfInvalid();
        var orgId = ctx.User.OrgId;

        // The answer is built inside the transaction, so one kept under an Idempotency-Key is written with the commit.
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var row = await PeopleRepository.InsertAsync(c, tx, orgId, Text.OrNull(body.ExternalId), Json.Serialize(data));
            await Outbox.EnqueueAsync(c, tx, orgId, Entity, row.Id, SyncJobs.UpsertArticle);
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Create, Entity, row.Id, null, PersonDto.From(row));
            return Concurrency.WithETag(ApiResults.Created(PersonDto.From(row)), row.Version);
        }, ctx.Aborted);
    });

    public static Task<IResult> Update(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var personId = RequestContext.ParseId(id, "Person");
        var patch = await ctx.ReadPatchAsync<UpdatePersonRequest>();
        var body = patch.Body;
        var v = new Validator().MaxLength("externalId", body.ExternalId?.Trim(), 64)
            .When(!patch.Has("externalId") && body.Data is null, "body", "Give at least one of externalId, data.");
        var dataPatch = EntityData.Normalize(body.Data, "data", v);
        v.ThrowIfInvalid();
        var expected = Concurrency.ExpectedVersion(req, body.Version);

        var after = await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            var before = await PeopleRepository.GetAsync(c, orgId, personId, tx, forUpdate: true) ?? throw ApiException.NotFound("Person");
            Concurrency.Check(expected, before.Version, "This person");
            var data = EntityData.Merge(EntityData.Parse(before.Data), dataPatch);
            var row = await PeopleRepository.UpdateAsync(c, tx, orgId, personId,
                "external_id = @externalId, data = @data::jsonb, sync_status = 'pending', sync_error = NULL",
                new { externalId = patch.Has("externalId") ? Text.OrNull(body.ExternalId) : before.ExternalId, data = Json.Serialize(data) });
            await PeopleAssignments.EnqueueArticleAsync(c, tx, orgId, personId, before.AssignedSpaceId);
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Update, Entity, personId, PersonDto.From(before), PersonDto.From(row));
            return row;
        }, ctx.Aborted);
        Concurrency.SetETag(req, after.Version);
        return ApiResults.Ok(PersonDto.From(after));
    });

    public static Task<IResult> Delete(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var personId = RequestContext.ParseId(id, "Person");
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            var before = await PeopleRepository.GetAsync(c, orgId, personId, tx, forUpdate: true) ?? throw ApiException.NotFound("Person");
            await c.ExecuteAsync("DELETE FROM people WHERE org_id = @orgId AND id = @personId", new { orgId, personId }, tx);
            if (before.AssignedSpaceId is { } spaceId)
                await Outbox.EnqueueAsync(c, tx, orgId, EntityTypes.Space, spaceId, SyncJobs.UpsertArticle); // the desk shows empty
            else if (before.VirtualSpaceId is { } pool)
                await Outbox.EnqueueAsync(c, tx, orgId, Entity, personId, SyncJobs.DeleteArticle, new { articleId = pool });
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Delete, Entity, personId, PersonDto.From(before));
            return ApiResults.NoContent();
        }, ctx.Aborted);
    });

    public static Task<IResult> Assign(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var personId = RequestContext.ParseId(id, "Person");
        var body = await ctx.ReadJsonAsync<AssignPersonRequest>();
        new Validator().Required("spaceId", body.SpaceId).ThrowIfInvalid();

        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            // Space, then person: the lock order (PeopleAssignments).
            var (before, row) = await PeopleAssignments.AssignAsync(c, tx, orgId, personId, body.SpaceId!.Value);
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Assign, Entity, personId, PersonDto.From(before), PersonDto.From(row));
            return ApiResults.Ok(PersonDto.From(row));
        }, ctx.Aborted);
    });

    public static Task<IResult> Unassign(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var personId = RequestContext.ParseId(id, "Person");
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var orgId = ctx.User.OrgId;
            // Only the person is locked (taking someone off a space needs no space lock; see PeopleAssignments).
            var before = await PeopleRepository.GetAsync(c, orgId, personId, tx, forUpdate: true) ?? throw ApiException.NotFound("Person");
            if (before.AssignedSpaceId is not { } spaceId)
                throw ApiException.Business("This person is not assigned to a space.");
            await PeopleAssignments.ReleaseAsync(c, tx, orgId, personId, spaceId);
            await Outbox.EnqueueAsync(c, tx, orgId, EntityTypes.Space, spaceId, SyncJobs.UpsertArticle);
            var row = (await PeopleRepository.GetAsync(c, orgId, personId, tx))!;
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Unassign, Entity, personId, PersonDto.From(before), PersonDto.From(row));
            return ApiResults.Ok(PersonDto.From(row));
        }, ctx.Aborted);
    });
}
