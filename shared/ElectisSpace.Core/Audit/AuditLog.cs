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

/// <summary>Writes audit rows inside the caller's transaction, so the row exists exactly when the change does.</summary>
public static class AuditLog
{
    private const string InsertSql = """
        INSERT INTO audit_logs (org_id, user_id, action, entity_type, entity_id, old_data, new_data, ip_address, user_agent)
        VALUES (@OrgId, @UserId, @Action, @EntityType, @EntityId, @OldData::jsonb, @NewData::jsonb, @Ip, @UserAgent)
        """;

    public static Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, AuditContext who,
        string action, string entityType, object? entityId, object? oldData = null, object? newData = null) =>
        conn.ExecuteAsync(InsertSql, new
        {
            who.OrgId, who.UserId, Action = action, EntityType = entityType, EntityId = entityId?.ToString(),
            OldData = oldData is null ? null : Json.Serialize(oldData),
            NewData = newData is null ? null : Json.Serialize(newData),
            who.Ip, who.UserAgent,
        }, tx);
}
