namespace ElectisSpace.Core.Audit;

/// <summary>Who did something, from where. OrgId/UserId are null only for events with no known tenant.</summary>
public sealed record AuditContext(Guid? OrgId, Guid? UserId, string? Ip, string? UserAgent);

public static class AuditActions
{
    public const string Create = "create", Update = "update", Delete = "delete";
    public const string Login = "login", LoginFailed = "login_failed", Logout = "logout";
    public const string ChangePassword = "change_password", TokenReuse = "refresh_token_reuse";
    public const string Import = "import", Assign = "assign", Unassign = "unassign", Toggle = "toggle", FlipPage = "flip_page";
    public const string LoadList = "load_list", AssignLabel = "assign_label";
}

/// <summary>
/// Writes audit rows inside the caller's transaction, so the row exists exactly when the change does (they go out with
/// the commit, <see cref="CommitBatch"/>).
/// </summary>
public static class AuditLog
{
    public static Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, AuditContext who,
        string action, string entityType, object? entityId, object? oldData = null, object? newData = null) =>
        CommitRows.AddAsync<AuditRows>(conn, tx, rows => rows.Add(who, action, entityType, entityId, oldData, newData));
}

/// <summary>
/// audit_logs rows kept for the commit; one statement writes them and, for the entries that are changes clients show,
/// their rows of the events table (<see cref="Events.ChangeEvents.ForAudit"/>): the one place every committed change
/// passes, so no handler writes events of its own, and the event costs no round trip.
/// </summary>
public sealed class AuditRows : ICommitRows
{
    private readonly List<Guid?> _orgs = [], _users = [];
    private readonly List<string?> _actions = [], _types = [], _entities = [], _old = [], _new = [], _ips = [], _agents = [], _events = [];
    private readonly List<bool> _eventData = [];

    public void Add(AuditContext who, string action, string entityType, object? entityId, object? oldData, object? newData)
    {
        _orgs.Add(who.OrgId);
        _users.Add(who.UserId);
        _actions.Add(action);
        _types.Add(entityType);
        _entities.Add(entityId?.ToString());
        _old.Add(oldData is null ? null : Json.Serialize(oldData));
        _new.Add(newData is null ? null : Json.Serialize(newData));
        _ips.Add(who.Ip);
        _agents.Add(who.UserAgent);
        var ev = who.OrgId is null ? null : Events.ChangeEvents.ForAudit(action, entityType);
        _events.Add(ev?.Type);
        _eventData.Add(ev?.WithData ?? false);
    }

    // The event carries id, version and syncStatus at the top (from the entity as answered, or the entity before a delete)
    // and the entity itself (data) where every role may read it.
    public NpgsqlBatchCommand? ToCommand() => _actions.Count == 0 ? null : new NpgsqlBatchCommand("""
        WITH a AS (
            SELECT u.*, u.new_data::jsonb AS new_json, u.old_data::jsonb AS old_json
            FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                        $10::text[], $11::boolean[]) WITH ORDINALITY
                 AS u(org_id, user_id, action, entity_type, entity_id, old_data, new_data, ip, agent, event, event_data, n)),
        audit AS (
            INSERT INTO audit_logs (org_id, user_id, action, entity_type, entity_id, old_data, new_data, ip_address, user_agent)
            SELECT a.org_id, a.user_id, a.action, a.entity_type, a.entity_id, a.old_json, a.new_json, a.ip, a.agent FROM a)
        INSERT INTO events (org_id, type, data)
        SELECT a.org_id, a.event, jsonb_strip_nulls(jsonb_build_object(
                   'id', a.entity_id,
                   'version', coalesce(a.new_json, a.old_json) -> 'version',
                   'syncStatus', a.new_json -> 'syncStatus',
                   'data', CASE WHEN a.event_data THEN a.new_json END))
        FROM a WHERE a.event IS NOT NULL ORDER BY a.n
        """)
    {
        Parameters =
        {
            new() { Value = _orgs.ToArray() }, new() { Value = _users.ToArray() }, new() { Value = _actions.ToArray() },
            new() { Value = _types.ToArray() }, new() { Value = _entities.ToArray() }, new() { Value = _old.ToArray() },
            new() { Value = _new.ToArray() }, new() { Value = _ips.ToArray() }, new() { Value = _agents.ToArray() },
            new() { Value = _events.ToArray() }, new() { Value = _eventData.ToArray() },
        },
    };
}
