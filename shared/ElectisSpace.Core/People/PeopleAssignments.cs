using ElectisSpace.Core.Sync;

namespace ElectisSpace.Core.People;

/// <summary>
/// Who sits where, and the AIMS work that follows. A person's article is its space's article while assigned
/// (the space article carries the occupant), else its own POOL id article.
/// </summary>
public static class PeopleAssignments
{
    /// <summary>Queues the push of the person's current article: its space's, or its POOL article.</summary>
    public static Task EnqueueArticleAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid personId, Guid? spaceId) =>
        spaceId is { } s
            ? Outbox.EnqueueAsync(c, tx, orgId, "space", s, SyncJobs.UpsertArticle)
            : Outbox.EnqueueAsync(c, tx, orgId, "person", personId, SyncJobs.UpsertArticle);

    /// <summary>Takes the person out of its space (if any) and gives it a fresh POOL id.</summary>
    public static async Task ReleaseAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid personId)
    {
        var pool = await PoolIds.NextAsync(c, tx, orgId);
        await c.ExecuteAsync("""
            UPDATE people SET assigned_space_id = NULL, virtual_space_id = @pool, sync_status = 'pending', sync_error = NULL,
                   version = version + 1, updated_at = now()
            WHERE org_id = @orgId AND id = @personId
            """, new { orgId, personId, pool }, tx);
        await Outbox.EnqueueAsync(c, tx, orgId, "person", personId, SyncJobs.UpsertArticle);
    }

    /// <summary>
    /// Puts the person in the space: 404 for an unknown space, 409 when someone else sits there (the unique key
    /// decides races). The old space is re-pushed empty, the POOL article is deleted, the new space is pushed.
    /// </summary>
    public static async Task AssignAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, PersonRow person, Guid spaceId)
    {
        if (person.AssignedSpaceId == spaceId) return;
        var occupant = await c.QuerySingleOrDefaultAsync<SpaceOccupant>("""
            SELECT s.id AS space_id, p.id AS person_id FROM spaces s LEFT JOIN people p ON p.assigned_space_id = s.id
            WHERE s.org_id = @orgId AND s.id = @spaceId FOR UPDATE OF s
            """, new { orgId, spaceId }, tx) ?? throw ApiException.NotFound("Space");
        if (occupant.PersonId is { } other && other != person.Id)
            throw ApiException.Conflict("This space is already assigned to someone else.", new { spaceId, personId = other });

        await c.ExecuteAsync("""
            UPDATE people SET assigned_space_id = @spaceId, virtual_space_id = NULL, sync_status = 'pending', sync_error = NULL,
                   version = version + 1, updated_at = now()
            WHERE org_id = @orgId AND id = @personId
            """, new { orgId, spaceId, personId = person.Id }, tx);
        if (person.VirtualSpaceId is { } pool)
            await Outbox.EnqueueAsync(c, tx, orgId, "person", person.Id, SyncJobs.DeleteArticle, new { articleId = pool });
        if (person.AssignedSpaceId is { } old)
            await Outbox.EnqueueAsync(c, tx, orgId, "space", old, SyncJobs.UpsertArticle);
        await Outbox.EnqueueAsync(c, tx, orgId, "space", spaceId, SyncJobs.UpsertArticle);
    }

    private sealed class SpaceOccupant
    {
        public Guid SpaceId { get; init; }
        public Guid? PersonId { get; init; }
    }
}
