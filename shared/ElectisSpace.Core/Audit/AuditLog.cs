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

/// <summary>audit_logs rows kept for the commit; one INSERT writes them.</summary>
public sealed class AuditRows : ICommitRows
{
    private readonly List<Guid?> _orgs = [], _users = [];
    private readonly List<string?> _actions = [], _types = [], _entities = [], _old = [], _new = [], _ips = [], _agents = [];

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
    }

    public NpgsqlBatchCommand? ToCommand() => _actions.Count == 0 ? null : new NpgsqlBatchCommand("""
        INSERT INTO audit_logs (org_id, user_id, action, entity_type, entity_id, old_data, new_data, ip_address, user_agent)
        SELECT a.org_id, a.user_id, a.action, a.entity_type, a.entity_id, a.old_data::jsonb, a.new_data::jsonb, a.ip, a.agent
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
             AS a(org_id, user_id, action, entity_type, entity_id, old_data, new_data, ip, agent)
        """)
    {
        Parameters =
        {
            new() { Value = _orgs.ToArray() }, new() { Value = _users.ToArray() }, new() { Value = _actions.ToArray() },
            new() { Value = _types.ToArray() }, new() { Value = _entities.ToArray() }, new() { Value = _old.ToArray() },
            new() { Value = _new.ToArray() }, new() { Value = _ips.ToArray() }, new() { Value = _agents.ToArray() },
        },
    };
}
