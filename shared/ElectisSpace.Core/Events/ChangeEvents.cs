namespace ElectisSpace.Core.Events;

/// <summary>
/// What becomes an event (a row of the events table, migration 0026), written in the transaction of the change:
/// <list type="bullet">
/// <item>entity changes the API commits, from the audit row every change already writes (<see cref="ForAudit"/>, one INSERT
/// with the audit rows in the commit batch): <c>space:updated</c>, <c>person:assigned</c>, <c>conference:toggled</c>, …
/// with id, version, syncStatus and the entity;</item>
/// <item>sync status the push path and the syncs record (<see cref="SyncStatusFrom"/>): <c>space:syncStatus</c>, …;</item>
/// <item>sync jobs (<see cref="JobEvent"/>): <c>sync:started</c>, <c>sync:completed</c>, <c>sync:error</c>;</item>
/// <item>AIMS reachability flips, from their audit rows: <c>health:solum:ok</c>, <c>health:solum:error</c>.</item>
/// </list>
/// </summary>
public static class ChangeEvents
{
    /// <summary>Entities whose events carry the entity as the API answers it (every role may read these).</summary>
    private static readonly HashSet<string> WithEntity = ["space", "person", "conference", "people_list"];

    /// <summary>Entities whose events carry the id and version only (users, settings: not every role may read them).</summary>
    private static readonly HashSet<string> IdOnly = ["user", "settings"];

    /// <summary>The event an audit entry stands for, and whether it carries the entity; null for entries that are no change clients show.</summary>
    public static (string Type, bool WithData)? ForAudit(string action, string entityType)
    {
        if (entityType == "aims") return (action == "aims_down" ? "health:solum:error" : "health:solum:ok", true);
        if (!WithEntity.Contains(entityType) && !IdOnly.Contains(entityType)) return null;
        string? done = action switch
        {
            Audit.AuditActions.Create => "created",
            Audit.AuditActions.Update => "updated",
            Audit.AuditActions.Delete => "deleted",
            Audit.AuditActions.Assign => "assigned",
            Audit.AuditActions.Unassign => "unassigned",
            Audit.AuditActions.Toggle => "toggled",
            Audit.AuditActions.FlipPage => "pageFlipped",
            Audit.AuditActions.AssignLabel => "labelAssigned",
            Audit.AuditActions.Import => "imported",
            Audit.AuditActions.LoadList => "loaded",
            _ => null,
        };
        return done is null ? null : ($"{entityType}:{done}", WithEntity.Contains(entityType) || entityType == "aims");
    }

    /// <summary>
    /// SQL: writes a <c>{entity}:syncStatus</c> event per row of <paramref name="changed"/> (a CTE of an UPDATE … RETURNING
    /// org_id, id, version, sync_status, sync_error), so the event is exactly the rows the statement changed.
    /// </summary>
    public static string SyncStatusFrom(string changed, string entityTypeSql) => $"""
        INSERT INTO events (org_id, type, data)
        SELECT x.org_id, {entityTypeSql} || ':syncStatus',
               jsonb_build_object('id', x.id, 'version', x.version, 'syncStatus', x.sync_status, 'error', x.sync_error)
        FROM {changed} x
        """;

    /// <summary>
    /// SQL: writes one job event per row of <paramref name="changed"/> (a CTE of an UPDATE of sync_jobs … RETURNING
    /// org_id, id, type, stats, error) — <c>sync:started</c> {jobId, type}, <c>sync:completed</c> {jobId, type, stats} or
    /// <c>sync:error</c> {jobId, type, error}.
    /// </summary>
    public static string JobEvent(string changed, string eventType) => $"""
        INSERT INTO events (org_id, type, data)
        SELECT x.org_id, '{eventType}', jsonb_strip_nulls(jsonb_build_object('jobId', x.id, 'type', x.type,
               'stats', CASE WHEN '{eventType}' = 'sync:started' THEN NULL ELSE x.stats END, 'error', x.error))
        FROM {changed} x
        """;

    public const string JobStarted = "sync:started", JobCompleted = "sync:completed", JobFailed = "sync:error";
}
