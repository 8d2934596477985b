using ElectisSpace.Core.Sync;

namespace ElectisSpace.Core.Labels;

/// <summary>
/// The one place a label code is given to or taken from a space or conference room. The label_assignments
/// primary key (org, label) makes a second holder fail with 409, even when two requests race.
/// </summary>
public static class LabelAssignments
{
    public const string Space = EntityTypes.Space, Conference = EntityTypes.Conference;

    /// <summary>
    /// Moves the entity from its old label (if any) to the new one (if any), and queues the AIMS work: unlink the old
    /// label, link the new one to the entity's article. Inside the caller's transaction; a no-op when nothing changes.
    /// </summary>
    public static async Task MoveAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, string entityType, Guid entityId,
        string? oldLabel, string? newLabel, string articleId, string? templateName = null)
    {
        if (string.Equals(oldLabel, newLabel, StringComparison.Ordinal)) return;
        await ChangeAsync(c, tx, orgId, entityType, entityId, oldLabel, newLabel);
        if (oldLabel is not null)
            await Outbox.EnqueueAsync(c, tx, orgId, entityType, entityId, SyncJobs.UnlinkLabel, new { labelCode = oldLabel });
        if (newLabel is not null)
            await Outbox.EnqueueAsync(c, tx, orgId, entityType, entityId, SyncJobs.LinkLabel, new { labelCode = newLabel, articleId, templateName });
    }

    /// <summary>
    /// The label claim alone (bulk imports queue their own link/unlink rows in one statement). Last level of the lock
    /// order (see People.PeopleAssignments): the caller already holds the space or room; the two codes are touched in
    /// ordinal order, so two moves over the same pair of codes wait for each other in one direction only.
    /// </summary>
    public static async Task ChangeAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, string entityType, Guid entityId,
        string? oldLabel, string? newLabel)
    {
        if (string.Equals(oldLabel, newLabel, StringComparison.Ordinal)) return;
        if (newLabel is not null && oldLabel is not null && string.CompareOrdinal(newLabel, oldLabel) < 0)
        {
            await ClaimAsync(c, tx, orgId, entityType, entityId, newLabel);
            await ReleaseAsync(c, tx, orgId, entityId, oldLabel);
            return;
        }
        if (oldLabel is not null) await ReleaseAsync(c, tx, orgId, entityId, oldLabel);
        if (newLabel is not null) await ClaimAsync(c, tx, orgId, entityType, entityId, newLabel);
    }

    private static Task ReleaseAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, Guid entityId, string label) =>
        c.ExecuteAsync("DELETE FROM label_assignments WHERE org_id = @orgId AND label_code = @label AND entity_id = @entityId",
            new { orgId, label, entityId }, tx);

    private static async Task ClaimAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, string entityType, Guid entityId, string label)
    {
        var holder = await c.QuerySingleOrDefaultAsync<string>(
            "SELECT entity_type FROM label_assignments WHERE org_id = @orgId AND label_code = @label", new { orgId, label }, tx);
        if (holder is not null)
            throw ApiException.Conflict($"Label {label} is already assigned to another {(holder == Space ? "space" : "conference room")}.",
                new { labelCode = label, heldBy = holder });
        await c.ExecuteAsync("""
            INSERT INTO label_assignments (org_id, label_code, entity_type, entity_id) VALUES (@orgId, @label, @entityType, @entityId)
            """, new { orgId, label, entityType, entityId }, tx);
    }
}
