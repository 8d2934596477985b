using ElectisSpace.Core.Sync;

namespace ElectisSpace.Core.People;

/// <summary>
/// Who sits where, and the AIMS work that follows. A person's article is its space's article while assigned
/// (the space article carries the occupant), else its own POOL id article.
/// <para>
/// <b>The lock order for everything that touches assignments.</b> Every transaction over spaces, people, conference
/// rooms and labels takes its row locks top to bottom and never goes back up (skipping a level is fine), so two of them
/// can only ever wait for each other in one direction and never deadlock:
/// </para>
/// <list type="number">
/// <item>a people list (list load: <c>FOR SHARE</c>);</item>
/// <item>spaces: <c>FOR UPDATE</c> to change who sits on a space or to delete it (<see cref="LockSpaceAsync"/>);
/// <c>FOR KEY SHARE</c> to keep a space from being deleted while a bulk path puts someone on it (list load);
/// several spaces in ascending id;</item>
/// <item>people: <c>FOR UPDATE</c>; several people in ascending id (list load, import), new import rows in key order;</item>
/// <item>conference rooms: <c>FOR UPDATE</c> (rooms hold no people; the level only places them before labels);</item>
/// <item>label claims (label_assignments), after the space or room that owns them; two codes in ordinal order
/// (<see cref="Labels.LabelAssignments"/>).</item>
/// </list>
/// <para>
/// POOL ids come from a sequence (<see cref="PoolIds"/>) and take no lock. Outbox and audit rows are plain inserts.
/// Rules that follow: putting someone on a space needs that space's lock (<see cref="AssignAsync"/>, list load), so the
/// holder of a space lock reads its occupant with a fresh statement (<see cref="OccupantAsync"/>; the statement that
/// waited for the lock would still show the occupant from before the wait) and knows nobody else can sit down. Taking
/// someone off a space needs only the person's lock, so releases are conditional on the state they read
/// (<c>WHERE assigned_space_id = @from</c>): a release never undoes a move that committed in between.
/// </para>
/// </summary>
public static class PeopleAssignments
{
    /// <summary>Queues the push of the person's current article: its space's, or its POOL article.</summary>
    public static Task EnqueueArticleAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid personId, Guid? spaceId) =>
        spaceId is { } s
            ? Outbox.EnqueueAsync(c, tx, orgId, EntityTypes.Space, s, SyncJobs.UpsertArticle)
            : Outbox.EnqueueAsync(c, tx, orgId, EntityTypes.Person, personId, SyncJobs.UpsertArticle);

    /// <summary>Level 2 of the lock order: locks the space for a change of occupant or a delete; false when there is no such space.</summary>
    public static async Task<bool> LockSpaceAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid spaceId) =>
        await c.QuerySingleOrDefaultAsync<Guid?>(LockSpaceSql, new { orgId, spaceId }, tx) is not null;

    private const string LockSpaceSql = "SELECT id FROM spaces WHERE org_id = @orgId AND id = @spaceId FOR UPDATE";

    /// <summary>
    /// Takes the person off <paramref name="fromSpaceId"/> and gives it a fresh POOL id, only if it still sits there;
    /// queues its POOL article. False when the person has moved or gone meanwhile (nothing is changed then).
    /// </summary>
    public static async Task<bool> ReleaseAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid personId, Guid fromSpaceId)
    {
        var released = await c.ExecuteAsync($"""
            UPDATE people SET assigned_space_id = NULL, virtual_space_id = {PoolIds.NextSql}, sync_status = 'pending', sync_error = NULL,
                   version = version + 1, updated_at = now()
            WHERE org_id = @orgId AND id = @personId AND assigned_space_id = @fromSpaceId
            """, new { orgId, personId, fromSpaceId }, tx) == 1;
        if (released) await Outbox.EnqueueAsync(c, tx, orgId, EntityTypes.Person, personId, SyncJobs.UpsertArticle);
        return released;
    }

    /// <summary>
    /// The space's occupant, read after the caller locked the space: a fresh statement, so it sees every assign that
    /// committed before the space lock was granted. lockIt also locks the person (to change it); a person leaving
    /// meanwhile is then waited for and rechecked, so null means nobody sits there any more.
    /// </summary>
    public static Task<PersonRow?> OccupantAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid spaceId, bool lockIt) =>
        PeopleRepository.GetOnSpaceAsync(c, tx, orgId, spaceId, forUpdate: lockIt);

    /// <summary>
    /// Space delete: the occupant (if any, under the caller's space lock) goes back to the pool, with its own audit row,
    /// since the person changed too.
    /// </summary>
    public static async Task ReleaseOccupantAsync(NpgsqlConnection c, NpgsqlTransaction tx, AuditContext audit, Guid orgId, Guid spaceId)
    {
        if (await OccupantAsync(c, tx, orgId, spaceId, lockIt: true) is not { } before) return;
        if (!await ReleaseAsync(c, tx, orgId, before.Id, spaceId)) return;
        var after = (await PeopleRepository.GetAsync(c, orgId, before.Id, tx))!;
        await AuditLog.WriteAsync(c, tx, audit, AuditActions.Unassign, EntityTypes.Person, before.Id, PersonDto.From(before), PersonDto.From(after));
    }

    /// <summary>
    /// Puts the person in the space, following the lock order: the space first, then the person. 404 for an unknown
    /// person or space, 409 naming the occupant when someone else sits there. The old space is re-pushed empty, the POOL
    /// article is deleted, the new space is pushed. Returns the person as it was before and as it is now.
    /// Two round trips: the space lock, the person lock and the occupant go in one batch (PostgreSQL runs its statements
    /// in order, each with a fresh snapshot, so the occupant is read after the space lock is granted, as OccupantAsync
    /// requires), then the update returns the row as the API shows it.
    /// </summary>
    public static async Task<(PersonRow Before, PersonRow After)> AssignAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid personId, Guid spaceId)
    {
        PersonRow? person, other;
        bool spaceExists;
        await using (var read = await c.QueryMultipleAsync($"""
            {LockSpaceSql};
            {PeopleRepository.GetSql(forUpdate: true)};
            {PeopleRepository.GetOnSpaceSql(forUpdate: false)}
            """, new { orgId, spaceId, id = personId }, tx))
        {
            spaceExists = await read.ReadSingleOrDefaultAsync<Guid?>() is not null;
            person = await read.ReadSingleOrDefaultAsync<PersonRow>();
            other = await read.ReadSingleOrDefaultAsync<PersonRow>();
        }
        if (person is null) throw ApiException.NotFound("Person");
        if (!spaceExists) throw ApiException.NotFound("Space");
        if (person.AssignedSpaceId == spaceId) return (person, person);
        // The occupant is not locked: the person already holds its own lock, and a second person lock out of id order could
        // deadlock (two people swapping spaces). Nobody can sit down here while we hold the space; someone leaving is still a 409.
        if (other is not null)
            throw ApiException.Conflict("This space is already assigned to someone else.",
                new { spaceId, personId = other.Id, personExternalId = other.ExternalId });

        var after = await PeopleRepository.UpdateAsync(c, tx, orgId, personId,
            "assigned_space_id = @spaceId, virtual_space_id = NULL, sync_status = 'pending', sync_error = NULL", new { spaceId });
        if (person.VirtualSpaceId is { } pool)
            await Outbox.EnqueueAsync(c, tx, orgId, EntityTypes.Person, personId, SyncJobs.DeleteArticle, new { articleId = pool });
        if (person.AssignedSpaceId is { } old)
            await Outbox.EnqueueAsync(c, tx, orgId, EntityTypes.Space, old, SyncJobs.UpsertArticle);
        await Outbox.EnqueueAsync(c, tx, orgId, EntityTypes.Space, spaceId, SyncJobs.UpsertArticle);
        return (person, after);
    }
}
