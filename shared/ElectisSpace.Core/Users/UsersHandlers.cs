using System.ComponentModel;
using Required = System.ComponentModel.DataAnnotations.RequiredAttribute;
using EmailAddress = System.ComponentModel.DataAnnotations.EmailAddressAttribute;
using StringLength = System.ComponentModel.DataAnnotations.StringLengthAttribute;
using RegularExpression = System.ComponentModel.DataAnnotations.RegularExpressionAttribute;
using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Users;

// Request DTOs: the DataAnnotations attributes describe what the handler's Validator enforces, for the OpenAPI document.
public sealed record CreateUserRequest(
    [Required, EmailAddress, StringLength(255)] string? Email,
    [StringLength(100)] string? FirstName,
    [StringLength(100)] string? LastName,
    [Description("Defaults to viewer.")] Role? Role,
    [StringLength(128, MinimumLength = 8), RegularExpression(Passwords.PolicyPattern),
     Description("Omit to have a temporary password generated and returned once. " + Passwords.PolicyText)] string? Password);
[Description("Give at least one property; omitted ones stay as they are.")]
public sealed record UpdateUserRequest(
    [StringLength(100)] string? FirstName,
    [StringLength(100)] string? LastName,
    Role? Role,
    bool? IsActive,
    [Description("The version you edited (or send If-Match); a stale one is 409.")] int? Version);
public sealed record CreatedUserResponse(UserDto User, string? TemporaryPassword);

/// <summary>/api/users: admin-only user management within the caller's organization, plus /users/me.</summary>
public static class UsersHandlers
{
    public static Task<IResult> Me(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var user = await ctx.Service<Db>().ReadAsync(c => UsersRepository.GetAsync(c, ctx.User.OrgId, ctx.User.UserId), ctx.Aborted)
                   ?? throw ApiException.NotFound("User");
        return ApiResults.Ok(UserDto.From(user));
    });

    public static Task<IResult> List(HttpRequest req) => Api.RunList(req, async ctx =>
    {
        var page = PageRequest.From(req, defaultLimit: 20, maxLimit: 100);
        var role = Query.Enum<Role>(req, "role");
        var search = Query.String(req, "search");
        var isActive = Query.Bool(req, "isActive");
        return await ctx.Service<ListCache>().PageAsync(ctx, async (c, totals) =>
        {
            var (rows, total) = await UsersRepository.ListAsync(c, ctx.OrgId, role is { } r ? EnumNames.Name(r) : null, search, isActive, page, totals);
            return ApiResults.PageBody(rows.Select(UserDto.From).ToList(), page, total);
        });
    });

    public static Task<IResult> Get(HttpRequest req, string? id) => Api.Run(req, async ctx =>
    {
        var userId = RequestContext.ParseId(id, "User");
        var user = await ctx.Service<Db>().ReadAsync(c => UsersRepository.GetAsync(c, ctx.User.OrgId, userId), ctx.Aborted)
                   ?? throw ApiException.NotFound("User");
        Concurrency.SetETag(req, user.Version);
        return ApiResults.Ok(UserDto.From(user));
    });

    public static Task<IResult> Create(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var body = await ctx.ReadJsonAsync<CreateUserRequest>();
        new Validator().Required("email", body.Email).Email("email", body.Email)
            .MaxLength("firstName", body.FirstName, 100).MaxLength("lastName", body.LastName, 100).ThrowIfInvalid();
        if (body.Password is not null) Passwords.CheckPolicy("password", body.Password);
        var temporary = body.Password is null ? Passwords.GenerateTemporary() : null;
        var hash = ctx.Service<Passwords>().Hash(body.Password ?? temporary!);

        var user = await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var created = await c.QuerySingleAsync<Guid>("""
                INSERT INTO users (org_id, email, password_hash, first_name, last_name, role)
                VALUES (@OrgId, @Email, @Hash, @FirstName, @LastName, @Role) RETURNING id
                """, new { ctx.User.OrgId, Email = body.Email!.Trim(), Hash = hash, FirstName = body.FirstName?.Trim(),
                           LastName = body.LastName?.Trim(), Role = EnumNames.Name(body.Role ?? Role.Viewer) }, tx);
            var row = (await UsersRepository.GetAsync(c, ctx.User.OrgId, created, tx))!;
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Create, "user", created, null, UserDto.From(row));
            return row;
        }, ctx.Aborted);
        return ApiResults.Created(new CreatedUserResponse(UserDto.From(user), temporary));
    });

    public static Task<IResult> Update(HttpRequest req, string? id) => Api.Run(req, async ctx =>
    {
        var userId = RequestContext.ParseId(id, "User");
        var body = await ctx.ReadJsonAsync<UpdateUserRequest>();
        new Validator().MaxLength("firstName", body.FirstName, 100).MaxLength("lastName", body.LastName, 100)
            .When(body is { FirstName: null, LastName: null, Role: null, IsActive: null }, "body", "Give at least one of firstName, lastName, role, isActive.")
            .ThrowIfInvalid();
        var expected = Concurrency.ExpectedVersion(req, body.Version);

        var updated = await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var activeAdmins = await UsersRepository.LockActiveAdminsAsync(c, tx, ctx.User.OrgId);
            var before = await UsersRepository.GetAsync(c, ctx.User.OrgId, userId, tx, forUpdate: true) ?? throw ApiException.NotFound("User");
            Concurrency.Check(expected, before.Version, "This user");
            var demotes = body.Role is { } r && r != Role.Admin && before.RoleValue == Role.Admin;
            var deactivates = body.IsActive == false && before.IsActive;
            if (userId == ctx.User.UserId && (demotes || deactivates))
                throw ApiException.Business("You cannot demote or deactivate your own account.");
            if ((demotes || deactivates) && before.IsActive && before.RoleValue == Role.Admin && activeAdmins <= 1)
                throw ApiException.Business("This is the organization's last active admin; promote another admin first.");

            await c.ExecuteAsync("""
                UPDATE users SET first_name = coalesce(@FirstName, first_name), last_name = coalesce(@LastName, last_name),
                       role = coalesce(@Role, role), is_active = coalesce(@IsActive, is_active), updated_at = now(),
                       version = version + 1
                WHERE org_id = @OrgId AND id = @Id
                """, new { FirstName = body.FirstName?.Trim(), LastName = body.LastName?.Trim(),
                           Role = body.Role is { } role ? EnumNames.Name(role) : null, body.IsActive, ctx.User.OrgId, Id = userId }, tx);
            if (deactivates)
                await ctx.Service<RefreshTokens>().RevokeAllForUserAsync(c, tx, ctx.User.OrgId, userId, "deactivated");
            var after = (await UsersRepository.GetAsync(c, ctx.User.OrgId, userId, tx))!;
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Update, "user", userId, UserDto.From(before), UserDto.From(after));
            return after;
        }, ctx.Aborted);
        Concurrency.SetETag(req, updated.Version);
        return ApiResults.Ok(UserDto.From(updated));
    });

    public static Task<IResult> Delete(HttpRequest req, string? id) => Api.Run(req, async ctx =>
    {
        var userId = RequestContext.ParseId(id, "User");
        await ctx.Service<Db>().InTransactionAsync(async (c, tx) =>
        {
            var activeAdmins = await UsersRepository.LockActiveAdminsAsync(c, tx, ctx.User.OrgId);
            var before = await UsersRepository.GetAsync(c, ctx.User.OrgId, userId, tx, forUpdate: true) ?? throw ApiException.NotFound("User");
            if (userId == ctx.User.UserId) throw ApiException.Business("You cannot delete your own account.");
            if (before.IsActive && before.RoleValue == Role.Admin && activeAdmins <= 1)
                throw ApiException.Business("This is the organization's last active admin; promote another admin first.");
            await c.ExecuteAsync("DELETE FROM users WHERE org_id = @OrgId AND id = @Id", new { ctx.User.OrgId, Id = userId }, tx);
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Delete, "user", userId, UserDto.From(before));
        }, ctx.Aborted);
        return ApiResults.NoContent();
    });
}
