using System.Security.Cryptography;
using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Idempotency;

/// <summary>How long an answer is kept under its key, and how long a claim holds a key for a request still running.</summary>
public sealed record IdempotencyOptions
{
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(24);
    /// <summary>A claim older than this is taken to belong to a dead instance: a retry may take the key over.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// A request sent with an Idempotency-Key (every POST and DELETE of a signed-in user). Api.Run claims the key before the
/// body runs: a key already answered replays that answer, one answered for another request is 422
/// IDEMPOTENCY_KEY_REUSED, one held by a request still running is 409 IDEMPOTENCY_KEY_IN_USE. A handler whose transaction
/// returns its answer has the answer written with its change's COMMIT (<see cref="Db"/> adds it to the commit batch), so
/// a crash after the commit still replays; any other answer is written once the body has run. 5xx answers are not
/// kept: the claim is released and a retry runs anew.
/// </summary>
public sealed class IdempotentRequest
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 255;
    /// <summary>SQLSTATE of idempotency_claim_lost() (migration 0028).</summary>
    public const string ClaimLostState = "ES409";

    // The request's claim, for Db to find the transactions of the request's flow (as PendingSignIn rides with commits).
    private static readonly AsyncLocal<IdempotentRequest?> InFlow = new();

    private readonly Guid _orgId, _userId, _claim = Guid.NewGuid();
    private readonly string _key;
    private readonly HttpContext _http;
    private RecordedResponse? _committed;
    private volatile bool _finished;

    private IdempotentRequest(Guid orgId, Guid userId, string key, HttpContext http) =>
        (_orgId, _userId, _key, _http) = (orgId, userId, key, http);

    /// <summary>The request of this flow whose answer a transaction may carry, while the request runs.</summary>
    public static IdempotentRequest? Current => InFlow.Value is { _finished: false } r ? r : null;

    /// <summary>From here on in the caller's flow, the request's transactions carry its answer (synchronous, so it holds for the caller).</summary>
    public void Enter() => InFlow.Value = this;

    /// <summary>POST and DELETE of a signed-in user take a key; sign-in routes (no user yet) ignore it.</summary>
    public static bool Applies(ApiRoute route) => route.Auth == RouteAuth.Bearer && route.Method is "POST" or "DELETE";

    /// <summary>
    /// Claims the request's key, or answers from it: the replay of the first answer (returned), or 409/422 (thrown).
    /// Null key: the request has none. The sign-in check still pending (Api.RunWrite) goes in the claim's batch.
    /// </summary>
    public static async Task<(IdempotentRequest? Claimed, IResult? Replay)> BeginAsync(RequestContext ctx, ApiRoute route)
    {
        var req = ctx.Request;
        if (!req.Headers.TryGetValue(Header, out var values)) return (null, null);
        var key = ValidKey(values);
        var hash = await HashAsync(req, route, ctx.Aborted);
        var options = ctx.Service<Configuration.ServerSettings>().Idempotency;
        var user = ctx.User;
        var request = new IdempotentRequest(user.OrgId, user.UserId, key, req.HttpContext);
        var db = ctx.Service<Db>();
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await ClaimAsync(db, request, hash, options, ctx);
            if (outcome is null) return (request, null); // claimed
            var (storedHash, status, headers, body) = outcome.Value;
            if (status is null && storedHash is null)
            {
                if (attempt < 3) continue; // released between our insert and read: claim again
                throw InUse();
            }
            if (!storedHash!.AsSpan().SequenceEqual(hash))
                throw new ApiException(422, ErrorCodes.IdempotencyKeyReused,
                    $"This {Header} was used for a different request (another body or route) in the last {options.Retention.TotalHours:0.##} h. Use a new key for a new request.");
            if (status is not { } s) throw InUse();
            var recorded = new RecordedResponse(s, JsonSerializer.Deserialize<Dictionary<string, string>>(headers!) ?? [], body ?? []);
            return (null, recorded.ToResult(replayed: true));
        }
    }

    private static ApiException InUse() =>
        new(409, ErrorCodes.IdempotencyKeyInUse, $"A request with this {Header} is still running. Retry after it has finished.")
            { RetryAfterSeconds = 1 };

    /// <summary>1–255 visible ASCII characters (0x21–0x7E), one header value.</summary>
    private static string ValidKey(Microsoft.Extensions.Primitives.StringValues values)
    {
        var key = values.Count == 1 ? values[0] ?? "" : "";
        if (key.Length is 0 or > MaxKeyLength || key.Any(ch => ch is < '!' or > '~'))
            throw ApiException.Validation($"{Header} must be one value of 1 to {MaxKeyLength} visible ASCII characters.",
                new FieldError(Header, "Use e.g. a UUID, new for each request and the same for its retries."));
        return key;
    }

    /// <summary>
    /// What makes two requests the same: method, route template, route values, query string and the body's raw bytes.
    /// Raw bytes, not a canonical form: a client's retry resends the bytes it built, and any canonical form would have to
    /// parse every body kind (JSON, CSV, multipart) before the handler does. The body stays readable for the handler.
    /// </summary>
    private static async Task<byte[]> HashAsync(HttpRequest req, ApiRoute route, CancellationToken ct)
    {
        req.EnableBuffering();
        var body = await RequestBody.ReadBytesAsync(req, RequestBody.MaxUploadBytes, ct);
        req.Body.Position = 0;
        var head = string.Join('\n', [req.Method, route.Pattern,
            .. req.RouteValues.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"), req.QueryString.Value ?? "", ""]);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(head));
        sha.AppendData(body);
        return sha.GetHashAndReset();
    }

    /// <summary>Null when claimed; else the row as found (all null when it vanished meanwhile).</summary>
    private static async Task<(byte[]? Hash, int? Status, string? Headers, byte[]? Body)?> ClaimAsync(
        Db db, IdempotentRequest r, byte[] hash, IdempotencyOptions o, RequestContext ctx)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync(ctx.Aborted);
        await using var batch = new NpgsqlBatch(conn);
        var signIn = PendingSignIn.ForCommit;
        if (signIn is not null) batch.BatchCommands.Add(signIn.CommitCheck());
        // An expired row is a new key; a claim whose lease lapsed (its instance died before any commit) is taken over by
        // the same request. Otherwise the row stays and is read back.
        var claim = new NpgsqlBatchCommand("""
            INSERT INTO idempotency_keys AS k (org_id, user_id, key, request_hash, claim, locked_until, expires_at)
            VALUES (@org, @user, @key, @hash, @claim, now() + @lease, now() + @retention)
            ON CONFLICT (org_id, user_id, key) DO UPDATE
                SET request_hash = excluded.request_hash, claim = excluded.claim, locked_until = excluded.locked_until,
                    expires_at = excluded.expires_at, status = NULL, headers = NULL, body = NULL
                WHERE k.expires_at <= now() OR (k.status IS NULL AND k.locked_until <= now() AND k.request_hash = excluded.request_hash)
            RETURNING 1
            """);
        r.AddKey(claim.Parameters);
        claim.Parameters.AddWithValue("hash", hash);
        claim.Parameters.AddWithValue("claim", r._claim);
        claim.Parameters.AddWithValue("lease", o.Lease);
        claim.Parameters.AddWithValue("retention", o.Retention);
        batch.BatchCommands.Add(claim);
        var found = new NpgsqlBatchCommand("""
            SELECT request_hash, status, headers::text, body FROM idempotency_keys
            WHERE org_id = @org AND user_id = @user AND key = @key AND claim <> @claim AND expires_at > now()
            """);
        r.AddKey(found.Parameters);
        found.Parameters.AddWithValue("claim", r._claim);
        batch.BatchCommands.Add(found);
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(ctx.Aborted);
            if (signIn is not null) await reader.NextResultAsync(ctx.Aborted);
            var claimed = await reader.ReadAsync(ctx.Aborted);
            signIn?.PassedAtCommit();
            if (claimed) return null;
            await reader.NextResultAsync(ctx.Aborted);
            if (!await reader.ReadAsync(ctx.Aborted)) return (null, null, null, null);
            return (reader.GetFieldValue<byte[]>(0), reader.IsDBNull(1) ? null : reader.GetInt32(1),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3));
        }
        catch (PostgresException e) when (e.SqlState == PendingSignIn.RefusedAtCommit)
        {
            await ctx.CompleteSignInAsync(); // the check on its own says 401 or 403
            throw;
        }
    }

    private void AddKey(NpgsqlParameterCollection p)
    {
        p.AddWithValue("org", _orgId);
        p.AddWithValue("user", _userId);
        p.AddWithValue("key", _key);
    }

    /// <summary>
    /// Called by Db with a transaction's answer before its commit: the answer goes into the commit batch, fenced by the
    /// claim (a claim taken over meanwhile aborts the commit: that request owns the key now).
    /// </summary>
    internal async Task RecordAtCommitAsync(CommitBatch batch, IResult answer)
    {
        var recorded = await RecordedResponse.CaptureAsync(answer, _http);
        if (!Kept(recorded.Status)) return;
        batch.Rows<AnswerRow>().Set(this, recorded);
    }

    /// <summary>The answer to send once the body has run: kept (unless 5xx, then the claim is released).</summary>
    public async Task<IResult> FinishAsync(Db db, IResult answer, ILogger log)
    {
        _finished = true; // work the request started and left running (a full sync) records nothing
        if (_committed is { } inCommit) return inCommit.ToResult(replayed: false);
        var recorded = await RecordedResponse.CaptureAsync(answer, _http);
        try
        {
            await using var conn = await db.DataSource.OpenConnectionAsync();
            await using var batch = new NpgsqlBatch(conn);
            batch.BatchCommands.Add(Kept(recorded.Status) ? AnswerCommand(recorded, fenced: false) : ReleaseCommand());
            await batch.ExecuteNonQueryAsync();
        }
        catch (Exception e)
        {
            // The answer still goes out; the claim's lease lapses and a retry runs again.
            log.LogWarning(e, "Could not keep the answer of {Header} {Key}", Header, _key);
        }
        return recorded.ToResult(replayed: false);
    }

    /// <summary>
    /// 2xx and 4xx answers are kept: a retried bad request gets the same 4xx, and nothing it did is done twice. A 5xx
    /// (or a request the client closed, 499) says nothing about the request, so its key is released and a retry runs anew.
    /// </summary>
    private static bool Kept(int status) => status < 500 && status != 499;

    private NpgsqlBatchCommand ReleaseCommand()
    {
        var c = new NpgsqlBatchCommand("DELETE FROM idempotency_keys WHERE org_id = @org AND user_id = @user AND key = @key AND claim = @claim");
        AddKey(c.Parameters);
        c.Parameters.AddWithValue("claim", _claim);
        return c;
    }

    private NpgsqlBatchCommand AnswerCommand(RecordedResponse r, bool fenced)
    {
        const string update = """
            UPDATE idempotency_keys SET status = @status, headers = @headers::jsonb, body = @body
            WHERE org_id = @org AND user_id = @user AND key = @key AND claim = @claim
            """;
        var c = new NpgsqlBatchCommand(fenced
            ? $"WITH kept AS ({update} RETURNING 1) SELECT idempotency_claim_lost() WHERE NOT EXISTS (SELECT 1 FROM kept)"
            : update);
        AddKey(c.Parameters);
        c.Parameters.AddWithValue("claim", _claim);
        c.Parameters.AddWithValue("status", r.Status);
        c.Parameters.AddWithValue("headers", JsonSerializer.Serialize(r.Headers));
        c.Parameters.AddWithValue("body", r.Body);
        return c;
    }

    /// <summary>The answer of the request, written in its change's commit batch.</summary>
    internal sealed class AnswerRow : ICommitRows
    {
        private IdempotentRequest? _request;
        private RecordedResponse? _answer;

        public void Set(IdempotentRequest request, RecordedResponse answer) => (_request, _answer) = (request, answer);

        public NpgsqlBatchCommand? ToCommand() => _request?.AnswerCommand(_answer!, fenced: true);

        /// <summary>The commit succeeded: the answer is kept, and is the request's answer.</summary>
        public void Committed() => _request!._committed = _answer;
    }
}
