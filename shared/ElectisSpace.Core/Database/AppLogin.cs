namespace ElectisSpace.Core.Database;

/// <summary>
/// The login the app signs in with on Azure: a member of electisspace_app (migration 0045: rows, sequences, functions;
/// no DDL, owns nothing) and nothing more. Made by the `app-login` deploy step, connected as an administrator.
/// docs/adr/0005-connection-budget-and-least-privilege.md.
/// </summary>
public static class AppLogin
{
    /// <summary>The group role the migrations grant the app's privileges to.</summary>
    public const string GroupRole = "electisspace_app";

    private const string CreateLogin = "CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD %L";
    // Only a superuser may name SUPERUSER or REPLICATION in ALTER ROLE, and Azure's administrator is none (a superuser
    // login is refused above anyway).
    private const string AlterLogin = "ALTER ROLE %I LOGIN INHERIT NOCREATEDB NOCREATEROLE PASSWORD %L";

    /// <summary>Creates the password login, or sets its password and takes away anything above a plain login.</summary>
    public static async Task EnsurePasswordLoginAsync(NpgsqlDataSource admin, string login, string password, CancellationToken ct = default)
    {
        await using var conn = await admin.OpenConnectionAsync(ct);
        await RefuseAdministratorAsync(conn, login);
        var exists = await RoleExistsAsync(conn, login);
        // Role names and passwords can't be bind parameters in DDL: format() quotes them on the server.
        var ddl = await conn.ExecuteScalarAsync<string>(
            "SELECT format(@template, @login, @password)",
            new { template = exists ? AlterLogin : CreateLogin, login, password });
        await conn.ExecuteAsync(ddl!);
        await GrantGroupAsync(conn, login);
    }

    /// <summary>
    /// The managed identity's Entra principal (pgaadauth_create_principal_with_oid: a login whose password is an Entra token
    /// for that object ID). Only the server's Entra administrator may create principals; it is not the administrator that
    /// ran the migrations and owns electisspace_app, so on PostgreSQL 16+ it may not grant that role: JoinAppRoleAsync,
    /// as that administrator, does.
    /// </summary>
    public static async Task EnsureEntraPrincipalAsync(NpgsqlDataSource entraAdmin, string login, string objectId, CancellationToken ct = default)
    {
        await using var conn = await entraAdmin.OpenConnectionAsync(ct);
        await RefuseAdministratorAsync(conn, login);
        if (!await RoleExistsAsync(conn, login))
            await conn.ExecuteAsync("SELECT * FROM pgaadauth_create_principal_with_oid(@login, @objectId, 'service', false, false)", new { login, objectId });
    }

    /// <summary>An existing login (the Entra principal) becomes a member of electisspace_app.</summary>
    public static async Task JoinAppRoleAsync(NpgsqlDataSource admin, string login, CancellationToken ct = default)
    {
        await using var conn = await admin.OpenConnectionAsync(ct);
        await RefuseAdministratorAsync(conn, login);
        if (!await RoleExistsAsync(conn, login))
            throw new InvalidOperationException($"Login '{login}' does not exist: give a password, or make the Entra principal first (--entra-object-id).");
        await GrantGroupAsync(conn, login);
    }

    private static Task<bool> RoleExistsAsync(NpgsqlConnection conn, string login) =>
        conn.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = @login)", new { login });

    private static async Task RefuseAdministratorAsync(NpgsqlConnection conn, string login)
    {
        if (await conn.ExecuteScalarAsync<bool>("SELECT @login = current_user OR EXISTS (SELECT FROM pg_roles WHERE rolname = @login AND rolsuper)", new { login }))
            throw new InvalidOperationException($"'{login}' is an administrator; the app's login must be a role of its own.");
        if (!await conn.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = @GroupRole)", new { GroupRole }))
            throw new InvalidOperationException($"Role {GroupRole} does not exist yet: run migrate first.");
    }

    private static async Task GrantGroupAsync(NpgsqlConnection conn, string login) =>
        await conn.ExecuteAsync((await conn.ExecuteScalarAsync<string>("SELECT format('GRANT %I TO %I', @GroupRole, @login)", new { GroupRole, login }))!);
}
