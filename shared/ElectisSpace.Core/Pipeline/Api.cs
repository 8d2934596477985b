using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Idempotency;
using ElectisSpace.Core.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Pipeline;

/// <summary>
/// The one request pipeline every handler runs through, in both hosts (Kestrel and Azure Functions):
/// authenticate, check the permission, run the body, and turn any failure into the one error envelope.
/// Living inside the handler (not in host middleware) is what makes both hosts answer identically.
/// </summary>
public static class Api
{
    /// <summary>
    /// Runs a handler body under the route the host is serving (<see cref="ApiRoutes.Serve(ApiRoute, HttpRequest)"/>):
    /// Bearer routes authenticate and demand the route's Permission, Public and RefreshToken routes run without an access
    /// token. A body reached without a route is refused (500, logged): it never runs with an unchecked caller.
    /// </summary>
    public static Task<IResult> Run(HttpRequest req, Func<RequestContext, Task<IResult>> body) => Run(req, body, SignInRides.Alone);

    /// <summary>
    /// <see cref="Run(HttpRequest, Func{RequestContext, Task{IResult}})"/> for a list whose page <see cref="ListCache"/> reads:
    /// the token is checked first as always, and the database's sign-in check goes to PostgreSQL in the batch of the page
    /// (<see cref="PendingSignIn"/>), so a page nobody asked for before costs one round trip, not two. The body scopes its
    /// read by <see cref="RequestContext.OrgId"/>; <see cref="RequestContext.User"/> is there once the check has run.
    /// Whatever the body does, no answer (error or not) leaves before the check has passed: it runs on its own then.
    /// </summary>
    public static Task<IResult> RunList(HttpRequest req, Func<RequestContext, Task<IResult>> body) => Run(req, body, SignInRides.WithRead);

    /// <summary>
    /// <see cref="Run(HttpRequest, Func{RequestContext, Task{IResult}})"/> for a write whose every effect is a
    /// <see cref="Db"/> transaction: when the token's role has the route's permission, the body runs as the token's user and
    /// the database's sign-in check goes to PostgreSQL in the batch of the first commit (<see cref="PendingSignIn.CommitCheck"/>),
    /// which it aborts when refused — the write costs one round trip fewer and nothing is kept for a refused caller. A
    /// statement outside a transaction runs the check first (Db.ReadAsync); no answer leaves before the check has passed.
    /// Not for bodies with other effects (AIMS calls, queue messages, orchestrations), which would act before the check.
    /// </summary>
    public static Task<IResult> RunWrite(HttpRequest req, Func<RequestContext, Task<IResult>> body) => Run(req, body, SignInRides.WithCommit);

    private enum SignInRides { Alone, WithRead, WithCommit }

    private static async Task<IResult> Run(HttpRequest req, Func<RequestContext, Task<IResult>> body, SignInRides rides)
    {
        var ctx = new RequestContext(req);
        var answer = await Answer(ctx, body, rides);
        return ctx.Idempotent is { } idempotent
            ? await idempotent.FinishAsync(ctx.Service<Db>(), answer, ctx.Service<ILoggerFactory>().CreateLogger("ElectisSpace.Api"))
            : answer;
    }

    private static async Task<IResult> Answer(RequestContext ctx, Func<RequestContext, Task<IResult>> body, SignInRides rides)
    {
        var req = ctx.Request;
        PendingSignIn? riding = null;
        try
        {
            var route = ApiRoute.Current(req.HttpContext)
                ?? throw new InvalidOperationException($"{req.Method} {req.Path} reached a handler without a route (hosts serve routes through ApiRoutes.Serve): refused.");
            if (route.Auth == RouteAuth.Bearer)
            {
                var auth = ctx.Service<RequestAuthenticator>();
                var signIn = new PendingSignIn(await auth.ClaimAsync(req), route.Permission);
                if (rides == SignInRides.WithRead) ctx.SignInPending = signIn;
                else if (rides == SignInRides.WithCommit && signIn.ClaimAllowed)
                {
                    ctx.SignInPending = signIn;
                    ctx.User = signIn.Claimed;
                    (riding = signIn).RideWithCommits();
                }
                else ctx.User = await signIn.RunAsync(auth, ctx.Aborted);
            }
            if (IdempotentRequest.Applies(route))
            {
                // After the token, before the body: a replay or a refusal runs nothing. A RunWrite body's effects are one
                // transaction, which keeps the key with its commit; any other body's key is claimed first.
                var (claimed, replay) = await IdempotentRequest.BeginAsync(ctx, route, atCommit: rides == SignInRides.WithCommit);
                if (replay is not null) return replay;
                (ctx.Idempotent = claimed)?.Enter();
            }
            IResult result;
            try
            {
                result = await body(ctx);
            }
            catch when (ctx.SignInPending is not null)
            {
                // The body failed before its read or commit carried the check (a bad query string, a missing row, a refused
                // check): the check runs on its own, so a refused caller gets its 401/403 and learns nothing else.
                await ctx.CompleteSignInAsync();
                throw;
            }
            await ctx.CompleteSignInAsync();
            return result;
        }
        catch (ApiException e)
        {
            return ApiResults.Error(e);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiResults.Error(ApiException.TooLarge(RequestBody.MaxUploadBytes));
        }
        catch (BadHttpRequestException e)
        {
            return ApiResults.Error(new ApiException(e.StatusCode, ErrorCodes.Validation, "The request could not be read."));
        }
        catch (Exception e) when (DbUnavailable.Matches(e))
        {
            // PostgreSQL is down, restarting or refusing connections, or a deadlock/serialization failure outlived the
            // transaction helper's retries: not the client's fault and not a bug, so 503 with a hint when to retry.
            ctx.Service<ILoggerFactory>().CreateLogger("ElectisSpace.Api")
                .LogWarning(e, "Database unavailable on {Method} {Path}", req.Method, req.Path);
            return ApiResults.Error(new ApiException(503, ErrorCodes.ServiceUnavailable,
                "The database is unavailable or busy. Try again shortly.") { RetryAfterSeconds = DbUnavailable.RetryAfterSeconds });
        }
        catch (Exception e) when (IsClientDisconnect(e, req))
        {
            return ApiResults.Error(new ApiException(499, "CLIENT_CLOSED_REQUEST", "The client closed the request."));
        }
        catch (Exception e)
        {
            // Never leak stack traces or SQL: log with a correlation id and hand the id to the client.
            var id = req.HttpContext.TraceIdentifier;
            ctx.Service<ILoggerFactory>().CreateLogger("ElectisSpace.Api")
                .LogError(e, "Unhandled error on {Method} {Path} (trace {TraceId})", req.Method, req.Path, id);
            return ApiResults.Error(new ApiException(500, ErrorCodes.Internal,
                $"An unexpected error occurred. Quote trace id {id} when reporting it."));
        }
        finally
        {
            riding?.StopRiding(); // work started in the request's flow (which inherits it) sends no check after the request
        }
    }

    private static bool IsClientDisconnect(Exception e, HttpRequest req) =>
        e is OperationCanceledException && req.HttpContext.RequestAborted.IsCancellationRequested;
}

/// <summary>Everything a handler needs about the current request.</summary>
public sealed class RequestContext(HttpRequest request)
{
    private CurrentUser? _user;
    public HttpRequest Request { get; } = request;

    /// <summary>The request's claim of its Idempotency-Key, when it was sent one.</summary>
    public IdempotentRequest? Idempotent { get; set; }

    /// <summary>The sign-in check still to run, when the route lets it ride with the first list read or commit (<see cref="Api.RunList"/>, <see cref="Api.RunWrite"/>).</summary>
    public PendingSignIn? SignInPending { get; set; }

    /// <summary>Runs the pending sign-in check on its own, if it has not passed: 401/403 when it fails.</summary>
    public async Task CompleteSignInAsync()
    {
        if (SignInPending is not { } signIn) return;
        SignInPending = null;
        if (!signIn.Passed) User = await signIn.RunAsync(Service<RequestAuthenticator>(), Aborted);
    }

    /// <summary>Confirms the pending sign-in with the check's row, read in the batch of a list page: 401/403 when it fails.</summary>
    public void CompleteSignIn(SignInRow? row)
    {
        var signIn = SignInPending ?? throw new InvalidOperationException("No sign-in check is pending.");
        SignInPending = null;
        User = signIn.Complete(row);
    }

    /// <summary>The organization every query of the request is scoped to: the signed-in user's, or while the sign-in check is pending, the token's (which the check confirms).</summary>
    public Guid OrgId => _user?.OrgId ?? SignInPending?.OrgId ?? User.OrgId;
    public CancellationToken Aborted => Request.HttpContext.RequestAborted;
    public IServiceProvider Services => Request.HttpContext.RequestServices;
    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>The signed-in user; only valid on authenticated routes.</summary>
    public CurrentUser User
    {
        get => _user ?? throw new InvalidOperationException(SignInPending is null
            ? "This route is public: there is no current user."
            : "The sign-in check has not run yet: scope reads by OrgId until the list read has confirmed the user.");
        set => _user = value;
    }

    /// <summary>The client's address: the peer, or the right-most untrusted X-Forwarded-For hop when the peer is a trusted proxy (see ClientAddress).</summary>
    public string? Ip => Request.HttpContext.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;
    public string? UserAgent => Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua[..Math.Min(ua.Length, 500)] : null;

    public Task<T> ReadJsonAsync<T>() where T : class => RequestBody.ReadJsonAsync<T>(Request, Aborted);
    public Task<JsonBody<T>> ReadPatchAsync<T>() where T : class => RequestBody.ReadJsonWithKeysAsync<T>(Request, Aborted, optional: false);
    public async Task<T> ReadOptionalJsonAsync<T>() where T : class => (await RequestBody.ReadJsonWithKeysAsync<T>(Request, Aborted, optional: true)).Body;

    /// <summary>The id route value, parsed; anything not a UUID can't name a row, so it is 404 like any missing row.</summary>
    public static Guid ParseId(string? id, string what) =>
        Guid.TryParse(id, out var g) ? g : throw ApiException.NotFound(what);

    public AuditContext Audit => new(User.OrgId, User.UserId, Ip, UserAgent);
}
