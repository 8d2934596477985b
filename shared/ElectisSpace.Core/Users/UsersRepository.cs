using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Users;

/// <summary>A user row as the code uses it (the password hash never leaves the server).</summary>
public sealed class UserRow
{
    public Guid Id { get; init; }
    public Guid OrgId { get; init; }
    public string Email { get; init; } = "";
    public string PasswordHash { get; init; } = "";
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string Role { get; init; } = "viewer";
    public bool IsActive { get; init; }
    public DateTimeOffset? LastLoginAt { get; init; }
    public int FailedLoginCount { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public int Version { get; init; }

    public Role RoleValue => EnumNames.Parse<Role>(Role);
    public CurrentUser AsCurrentUser() => new(Id, OrgId, RoleValue, Email);
}

/// <summary>The user as the API shows it.</summary>
public sealed record UserDto(Guid Id, string Email, string? FirstName, string? LastName, Role Role, bool IsActive,
    DateTimeOffset? LastLogin, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version)
{
    public static UserDto From(UserRow u) =>
        new(u.Id, u.Email, u.FirstName, u.LastName, u.RoleValue, u.IsActive, u.LastLoginAt, u.CreatedAt, u.UpdatedAt, u.Version);
}

public static class UsersRepository
{
    private const string Columns = """
        id, org_id, email, password_hash, first_name, last_name, role, is_active, last_login_at,
        failed_login_count, locked_until, created_at, updated_at, version
        """;

    public static Task<UserRow?> GetAsync(NpgsqlConnection c, Guid orgId, Guid id, NpgsqlTransaction? tx = null, bool forUpdate = false) =>
        c.QuerySingleOrDefaultAsync<UserRow>(
            forUpdate ? $"SELECT {Columns} FROM users WHERE org_id = @orgId AND id = @id FOR UPDATE"
                      : $"SELECT {Columns} FROM users WHERE org_id = @orgId AND id = @id",
            new { orgId, id }, tx);

    /// <summary>
    /// Login candidates: the same email may exist in several organizations. Read without a lock: the login's writes
    /// re-check what they depend on, so checking passwords never holds the row.
    /// </summary>
    public static Task<IEnumerable<UserRow>> FindByEmailAsync(NpgsqlConnection c, string email, string? orgCode) =>
        c.QueryAsync<UserRow>(orgCode is null
            ? $"SELECT {Columns} FROM users WHERE lower(email) = lower(@email) ORDER BY created_at"
            : $"""
              SELECT {Columns} FROM users
              WHERE lower(email) = lower(@email) AND org_id IN (SELECT id FROM organizations WHERE code = @orgCode)
              ORDER BY created_at
              """, new { email, orgCode });

    public static async Task<(IReadOnlyList<UserRow> Rows, long Total)> ListAsync(NpgsqlConnection c, Guid orgId,
        string? role, string? search, bool? isActive, PageRequest page, KeptTotals? totals = null)
    {
        var where = new SqlWhere("org_id = @orgId", orgId).And("role = @role", "role", role).And("is_active = @isActive", "isActive", isActive)
            .AddSearch(search, "search_text", """
                email ILIKE @pattern OR first_name ILIKE @pattern OR last_name ILIKE @pattern
                OR (coalesce(first_name, '') || ' ' || coalesce(last_name, '')) ILIKE @pattern
                """);
        return await ListPage.ReadAsync<UserRow>(c, $"SELECT {Columns} FROM users {where} ORDER BY created_at, id {page.LimitSql(where.Parameters)}",
            $"SELECT count(*) FROM users {where}", where.Parameters, totals);
    }

    /// <summary>Locks the organization's active admins, so two concurrent demotions can't leave none.</summary>
    public static async Task<int> LockActiveAdminsAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId) =>
        (await c.QueryAsync<Guid>("SELECT id FROM users WHERE org_id = @orgId AND role = 'admin' AND is_active FOR UPDATE",
            new { orgId }, tx)).Count();
}
