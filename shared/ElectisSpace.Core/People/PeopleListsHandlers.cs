using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Sync;

namespace ElectisSpace.Core.People;

public sealed record CreatePeopleListRequest(string? Name, Guid[]? PeopleIds);
/// <summary>peopleIds, when given, replaces the snapshot with those people's current assignments.</summary>
public sealed record UpdatePeopleListRequest(string? Name, Guid[]? PeopleIds, int? Version);

public sealed record PeopleListEntryDto(Guid PersonId, string? PersonLabel, Guid? SpaceId, string? SpaceExternalId);
public sealed record PeopleListDto(Guid Id, string Name, int EntryCount, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<PeopleListEntryDto>? Entries);
public sealed record SkippedListEntry(Guid PersonId, string? PersonLabel, Guid? SpaceId, string? SpaceExternalId, string Reason);
public sealed record PeopleListLoadResult(Guid ListId, int Assigned, int Unassigned, int Changed, IReadOnlyList<SkippedListEntry> Skipped);

public sealed class PeopleListRow
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public int EntryCount { get; init; }
    public int Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed class PeopleListEntryRow
{
    public Guid PersonId { get; init; }
    public string? PersonLabel { get; init; }
    public Guid? SpaceId { get; init; }
    public string? SpaceExternalId { get; init; }
}

/// <summary>/api/people/lists: saved snapshots of who sits where, loadable in one step (e.g. per weekday).</summary>
public static class PeopleListsHandlers
{
    private const string Entity = "people_list";
    private const string SelectList = """
        SELECT l.id, l.name, l.version, l.created_at, l.updated_at,
               (SELECT count(*) FROM people_list_entries e WHERE e.list_id = l.id)::int AS entry_count
        FROM people_lists l
        """;

    public static Task<IResult> List(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var page = PageRequest.From(req, defaultLimit: 50, maxLimit: 100);
        var search = Query.String(req, "search");
        var sort = Query.SortSql(req, new Dictionary<string, string> { ["name"] = "lower(l.name)", ["createdAt"] = "l.created_at", ["updatedAt"] = "l.updated_at" }, "name");
        var (rows, total) = await ctx.Service<Db>().ReadAsync(async c =>
        {
            // The name's trigram index serves the search directly (the document is the one field).
            var where = new SqlWhere("l.org_id = @orgId", ctx.User.OrgId).AddContains(search, "l.name");
            return await ListPage.ReadAsync<PeopleListRow>(c, $"{SelectList} {where} ORDER BY {sort}, l.id {page.LimitSql(where.Parameters)}",
                $"SELECT count(*) FROM people_lists l {where}", where.Parameters);
        }, ctx.Aborted);
        return ApiResults.Page(rows.Select(r => ToDto(r, null)).ToList(), page, total);
    });

    public static Task<IResult> Get(HttpRequest req, string? id) => Api.Run(req, async ctx =>
    {
        var listId = RequestContext.ParseId(id, "People list");
        var dto = await ctx.Service<Db>().ReadAsync(c => LoadDtoAsync(c, null, ctx.User.OrgId, listId), ctx.Aborted)
                  ?? throw ApiException.NotFound("People list");
        Concurrency.SetETag(req, dto.Version);
        return ApiResults.Ok(dto);
    });

    public static Task<IResult> Create(HttpRequest req) => Api.RunWrite(req, async ctx =>
    {
        var body = await ctx.ReadJsonAsync<CreatePeopleListRequest>();
        new Validator().Required("name", body.Name).MaxLength("name", body.Name?.Trim(), 100)
            .When(body.PeopleIds is { Length: > 20_000 }, "peopleIds", "At most 20000 people per list.").ThrowIfInvalid();
        var orgId = ctx.User.OrgId;
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var listId = await c.QuerySingleAsync<Guid>("""
                INSERT INTO people_lists (org_id, name, created_by) VALUES (@orgId, @name, @userId) RETURNING id
                """, new { orgId, name = body.Name!.Trim(), userId = ctx.User.UserId }, tx);
            await SnapshotAsync(c, tx, orgId, listId, body.PeopleIds);
            var created = (await LoadDtoAsync(c, tx, orgId, listId))!;
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Create, Entity, listId, null, created);
            return ApiResults.Created(created);
        }, ctx.Aborted);
    });

    public static Task<IResult> Update(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var listId = RequestContext.ParseId(id, "People list");
        var body = await ctx.ReadJsonAsync<UpdatePeopleListRequest>();
        new Validator().MaxLength("name", body.Name?.Trim(), 100)
            .When(body.Name is not null && string.IsNullOrWhiteSpace(body.Name), "name", "name cannot be empty.")
            .When(body is { Name: null, PeopleIds: null }, "body", "Give at least one of name, peopleIds.").ThrowIfInvalid();
        var expected = Concurrency.ExpectedVersion(req, body.Version);
        var orgId = ctx.User.OrgId;
        var dto = await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var version = await c.QuerySingleOrDefaultAsync<int?>("SELECT version FROM people_lists WHERE org_id = @orgId AND id = @listId FOR UPDATE",
                new { orgId, listId }, tx) ?? throw ApiException.NotFound("People list");
            Concurrency.Check(expected, version, "This people list");
            var before = (await LoadDtoAsync(c, tx, orgId, listId))!;
            await c.ExecuteAsync("""
                UPDATE people_lists SET name = coalesce(@name, name), version = version + 1, updated_at = now() WHERE org_id = @orgId AND id = @listId
                """, new { orgId, listId, name = body.Name?.Trim() }, tx);
            if (body.PeopleIds is not null)
            {
                await c.ExecuteAsync("DELETE FROM people_list_entries WHERE org_id = @orgId AND list_id = @listId", new { orgId, listId }, tx);
                await SnapshotAsync(c, tx, orgId, listId, body.PeopleIds);
            }
            var after = (await LoadDtoAsync(c, tx, orgId, listId))!;
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Update, Entity, listId, before, after);
            return after;
        }, ctx.Aborted);
        Concurrency.SetETag(req, dto.Version);
        return ApiResults.Ok(dto);
    });

    public static Task<IResult> Delete(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var listId = RequestContext.ParseId(id, "People list");
        var orgId = ctx.User.OrgId;
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var before = await LoadDtoAsync(c, tx, orgId, listId) ?? throw ApiException.NotFound("People list");
            await c.ExecuteAsync("DELETE FROM people_lists WHERE org_id = @orgId AND id = @listId", new { orgId, listId }, tx);
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Delete, Entity, listId, before with { Entries = null });
            return ApiResults.NoContent();
        }, ctx.Aborted);
    });

    /// <summary>
    /// Makes the saved assignments current, in one transaction: people in the list go to their saved space, everyone
    /// else is unassigned. Entries whose person or space is gone (or whose space another entry took) are reported, not fatal.
    /// Only people whose place actually changes are written and queued, so loading the same list twice is a no-op.
    /// </summary>
    public static Task<IResult> Load(HttpRequest req, string? id) => Api.RunWrite(req, async ctx =>
    {
        var listId = RequestContext.ParseId(id, "People list");
        var orgId = ctx.User.OrgId;
        return await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            _ = await c.QuerySingleOrDefaultAsync<Guid?>("SELECT id FROM people_lists WHERE org_id = @orgId AND id = @listId FOR SHARE",
                new { orgId, listId }, tx) ?? throw ApiException.NotFound("People list");
            var entries = (await c.QueryAsync<PeopleListEntryRow>("""
                SELECT person_id, person_label, space_id, space_external_id FROM people_list_entries
                WHERE org_id = @orgId AND list_id = @listId ORDER BY person_label, person_id
                """, new { orgId, listId }, tx)).ToList();
            // Lock order (PeopleAssignments): the list's spaces first (KEY SHARE: they can't be deleted, and an assign into
            // one waits for the load), then every person of the organization, both in id order.
            var spaces = (await c.QueryAsync<Guid>("""
                SELECT id FROM spaces WHERE org_id = @orgId AND id = ANY(@ids) ORDER BY id FOR KEY SHARE
                """, new { orgId, ids = entries.Where(e => e.SpaceId is not null).Select(e => e.SpaceId!.Value).Distinct().ToArray() }, tx)).ToHashSet();
            var people = (await c.QueryAsync<PersonPlace>(
                "SELECT id, assigned_space_id, virtual_space_id FROM people WHERE org_id = @orgId ORDER BY id FOR UPDATE",
                new { orgId }, tx)).ToDictionary(p => p.Id);

            var target = new Dictionary<Guid, Guid?>();
            var taken = new HashSet<Guid>();
            var skipped = new List<SkippedListEntry>();
            foreach (var e in entries)
            {
                string? reason = !people.ContainsKey(e.PersonId) ? "The person no longer exists."
                    : e.SpaceId is { } s && !spaces.Contains(s) ? "The space no longer exists."
                    : e.SpaceId is { } t && !taken.Add(t) ? "Another entry of the list already takes this space."
                    : null;
                if (reason is null) target[e.PersonId] = e.SpaceId;
                else skipped.Add(new SkippedListEntry(e.PersonId, e.PersonLabel, e.SpaceId, e.SpaceExternalId, reason));
            }

            var changes = people.Values
                .Select(p => (Person: p, To: target.GetValueOrDefault(p.Id)))
                .Where(x => x.Person.AssignedSpaceId != x.To)
                .ToList();
            // Released people get a fresh POOL id each, in the same statement.
            await c.ExecuteAsync($"""
                UPDATE people p SET assigned_space_id = t.space_id,
                       virtual_space_id = CASE WHEN t.space_id IS NULL THEN {PoolIds.NextSql} END, sync_status = 'pending',
                       sync_error = NULL, version = p.version + 1, updated_at = now()
                FROM unnest(@ids, @spaceIds) AS t(id, space_id)
                WHERE p.org_id = @orgId AND p.id = t.id
                """, new { orgId, ids = changes.Select(x => x.Person.Id).ToArray(), spaceIds = changes.Select(x => x.To).ToArray() }, tx);

            // AIMS: released people get POOL articles, assigned ones lose theirs, then every space whose occupant changed is
            // re-pushed — last, as a single assign does, so a seated person's last job is never newer than its space's.
            await Outbox.EnqueueUpsertsAsync(c, tx, orgId, EntityTypes.Person, changes.Where(x => x.To is null).Select(x => x.Person.Id).ToArray());
            var poolDeletes = changes.Where(x => x.To is not null && x.Person.VirtualSpaceId is not null).ToList();
            await Outbox.EnqueueDeletesAsync(c, tx, orgId, EntityTypes.Person, poolDeletes.Select(x => x.Person.Id).ToArray(),
                poolDeletes.Select(x => x.Person.VirtualSpaceId!).ToArray());
            var touchedSpaces = changes.SelectMany(x => new[] { x.Person.AssignedSpaceId, x.To }).OfType<Guid>().Distinct().ToArray();
            await Outbox.EnqueueUpsertsAsync(c, tx, orgId, EntityTypes.Space, touchedSpaces);

            var result = new PeopleListLoadResult(listId, target.Count(t => t.Value is not null), people.Count - target.Count(t => t.Value is not null),
                changes.Count, skipped);
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.LoadList, Entity, listId, null, result);
            return ApiResults.Ok(result);
        }, ctx.Aborted);
    });

    /// <summary>Saves the current place of the given people (all people when null); unknown ids are a 400.</summary>
    private static async Task SnapshotAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid listId, Guid[]? peopleIds)
    {
        var ids = peopleIds?.Distinct().ToArray();
        var inserted = await c.ExecuteAsync("""
            INSERT INTO people_list_entries (list_id, org_id, person_id, space_id, person_label, space_external_id)
            SELECT @listId, @orgId, p.id, p.assigned_space_id,
                   coalesce(p.data->>'name', p.external_id, p.virtual_space_id), s.external_id
            FROM people p LEFT JOIN spaces s ON s.id = p.assigned_space_id
            WHERE p.org_id = @orgId AND (@ids::uuid[] IS NULL OR p.id = ANY(@ids))
            """, new { listId, orgId, ids }, tx);
        if (ids is not null && inserted != ids.Length)
        {
            var known = (await c.QueryAsync<Guid>("SELECT id FROM people WHERE org_id = @orgId AND id = ANY(@ids)", new { orgId, ids }, tx)).ToHashSet();
            throw ApiException.Validation("Some peopleIds are not people of this organization.",
                ids.Where(i => !known.Contains(i)).Take(50).Select(i => new FieldError("peopleIds", $"Unknown person {i}.")).ToArray());
        }
    }

    private static async Task<PeopleListDto?> LoadDtoAsync(NpgsqlConnection c, NpgsqlTransaction? tx, Guid orgId, Guid listId)
    {
        var row = await c.QuerySingleOrDefaultAsync<PeopleListRow>($"{SelectList} WHERE l.org_id = @orgId AND l.id = @listId", new { orgId, listId }, tx);
        if (row is null) return null;
        var entries = await c.QueryAsync<PeopleListEntryRow>("""
            SELECT person_id, person_label, space_id, space_external_id FROM people_list_entries
            WHERE org_id = @orgId AND list_id = @listId ORDER BY person_label, person_id
            """, new { orgId, listId }, tx);
        return ToDto(row, entries.Select(e => new PeopleListEntryDto(e.PersonId, e.PersonLabel, e.SpaceId, e.SpaceExternalId)).ToList());
    }

    private static PeopleListDto ToDto(PeopleListRow r, IReadOnlyList<PeopleListEntryDto>? entries) =>
        new(r.Id, r.Name, r.EntryCount, r.Version, r.CreatedAt, r.UpdatedAt, entries);

    private sealed class PersonPlace
    {
        public Guid Id { get; init; }
        public Guid? AssignedSpaceId { get; init; }
        public string? VirtualSpaceId { get; init; }
    }
}
