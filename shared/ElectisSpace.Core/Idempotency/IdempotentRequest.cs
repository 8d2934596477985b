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
/// A request sent with an Idempotency-Key (every POST and DELETE of a signed-in user); docs/api-conventions.md.
/// One row per organization, user and key holds the request's hash and, once answered, the answer.
/// Two ways to keep it, by what the handler's effects are:
/// - a write whose every effect is one Db transaction that returns its answer (Api.RunWrite): nothing before the body;
///   the row, answer included, is INSERTed in the commit batch (<see cref="Db"/>). A second request with the key meets the
///   first's row there (waiting on the unique key while the first is uncommitted), which aborts its commit: its change is
///   not kept, and it answers from the row (replay, 422, 409). Costs no round trip; a retry re-runs the body, rolled back.
/// - any other (AIMS calls, orchestrations, several transactions): the key is claimed first (row with a lease, in one
///   round trip with the sign-in check), so a second request never runs the body; the answer is kept after the body,
///   fenced by the claim. A crash in between leaves a claim whose lease lapses, then a retry runs again.
/// 5xx answers are not kept: a retry runs anew.
/// </summary>
public sealed class IdempotentRequest
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 255;
    /// <summary>SQLSTATE of idempotency_claim_lost() (migration 0028).</summary>
    public const string ClaimLostState = "ES409";

    // The request, for Db to find from the transactions of the request's flow (as PendingSignIn rides with commits).
    private static readonly AsyncLocal<IdempotentRequest?> InFlow = new();

    private readonly Guid _orgId, _userId, _claim = Guid.NewGuid();
    private readonly string _key;
    private readonly byte[] _hash;
    private readonly IdempotencyOptions _options;
    private readonly HttpContext _http;
    private readonly bool _atCommit;
    private RecordedResponse? _committed;
    private volatile bool _finished;

    private IdempotentRequest(CurrentUser user, string key, byte[] hash, IdempotencyOptions options, HttpContext http, bool atCommit) =>
        (_orgId, _userId, _key, _hash, _options, _http, _atCommit) = (user.OrgId, user.UserId, key, hash, options, http, atCommit);

    /// <summary>The request of this flow whose answer a transaction may carry, while the request runs.</summary>
    public static IdempotentRequest? Current => InFlow.Value is { _finished: false } r ? r : null;

    /// <summary>From here on in the caller's flow, the request's transactions carry its answer (synchronous, so it holds for the caller).</summary>
    public void Enter() => InFlow.Value = this;

    /// <summary>POST and DELETE of a signed-in user take a key; sign-in routes (no user yet) ignore it.</summary>
    public static bool Applies(ApiRoute route) => route.Auth == RouteAuth.Bearer && route.Method is "POST" or "DELETE";

    /// <summary>
    /// The request's key, checked and hashed with the request (null: none sent). atCommit: the body's effects are one Db
    /// transaction returning its answer, so the key is kept with that commit. Otherwise the key is claimed now: a key
    /// already answered gives the replay (returned), one in use or reused is 409/422 (thrown).
    /// </summary>
    public static async Task<(IdempotentRequest? Request, IResult? Replay)> BeginAsync(RequestContext ctx, ApiRoute route, bool atCommit)
    {
        var req = ctx.Request;
        if (!req.Headers.TryGetValue(Header, out var values)) return (null, null);
        var key = ValidKey(values);
        var hash = await HashAsync(req, route, ctx.Aborted);
        var request = new IdempotentRequest(ctx.User, key, hash, ctx.Service<Configuration.ServerSettings>().Idempotency, req.HttpContext, atCommit);
        if (atCommit) return (request, null);
        var db = ctx.Service<Db>();
        for (var attempt = 1; ; attempt++)
        {
            var signIn = PendingSignIn.ForCommit;
            Stored? found;
            try
            {
                found = await request.WriteOrReadAsync(db, request.ClaimCommand(), signIn?.CommitCheck(), ctx.Aborted);
                signIn?.PassedAtCommit();
            }
            catch (PostgresException e) when (e.SqlState == PendingSignIn.RefusedAtCommit)
            {
                await ctx.CompleteSignInAsync(); // the check on its own says 401 or 403
                throw;
            }
            if (found is null) return (request, null); // claimed
            if (found.Vanished && attempt < 3) continue; // released between our write and read: claim again
            return (null, request.Answer(found).ToResult(replayed: true));
        }
    }

    private sealed record Stored(byte[]? Hash, int? Status, string? Headers, byte[]? Body)
    {
        public bool Vanished => Hash is null;
    }

    /// <summary>The answer a request gets from another's row with its key: that answer, or 422 (another request), or 409 (running).</summary>
    private RecordedResponse Answer(Stored found)
    {
        if (found.Hash is { } h && !h.AsSpan().SequenceEqual(_hash))
            throw new ApiException(422, ErrorCodes.IdempotencyKeyReused,
                $"This {Header} was used for a different request (another body or route) in the last {_options.Retention.TotalHours:0.##} h. Use a new key for a new request.");
        if (found.Status is not { } status)
            throw new ApiException(409, ErrorCodes.IdempotencyKeyInUse, $"A request with this {Header} is still running. Retry after it has finished.")
                { RetryAfterSeconds = 1 };
        return new RecordedResponse(status, JsonSerializer.Deserialize<Dictionary<string, string>>(found.Headers!) ?? [], found.Body ?? []);
    }

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

    // A row this request may write over: an expired one (the key is new again), or a claim whose lease lapsed (its
    // instance died before any commit) made by the same request.
    private const string Upsert = """
        ON CONFLICT (org_id, user_id, key) DO UPDATE
            SET request_hash = excluded.request_hash, claim = excluded.claim, locked_until = excluded.locked_until,
                expires_at = excluded.expires_at, status = excluded.status, headers = excluded.headers, body = excluded.body
            WHERE k.expires_at <= now() OR (k.status IS NULL AND k.locked_until <= now() AND k.request_hash = excluded.request_hash)
        """;

    private NpgsqlBatchCommand ClaimCommand()
    {
        var c = new NpgsqlBatchCommand($"""
            INSERT INTO idempotency_keys AS k (org_id, user_id, key, request_hash, claim, locked_until, expires_at)
            VALUES (@org, @user, @key, @hash, @claim, now() + @lease, now() + @retention)
            {Upsert}
            RETURNING 1
            """);
        AddKey(c.Parameters);
        c.Parameters.AddWithValue("lease", _options.Lease);
        return c;
    }

    /// <summary>The row with its answer. fenced: as a statement of a commit batch, which it aborts when the row is another's.</summary>
    private NpgsqlBatchCommand KeepCommand(RecordedResponse r, bool fenced)
    {
        var keep = _atCommit
            ? $"""
              INSERT INTO idempotency_keys AS k (org_id, user_id, key, request_hash, claim, locked_until, expires_at, status, headers, body)
              VALUES (@org, @user, @key, @hash, @claim, now(), now() + @retention, @status, @headers::jsonb, @body)
              {Upsert}
              """
            : """
              UPDATE idempotency_keys SET status = @status, headers = @headers::jsonb, body = @body, locked_until = now()
              WHERE org_id = @org AND user_id = @user AND key = @key AND claim = @claim
              """;
        var c = new NpgsqlBatchCommand(fenced
            ? $"WITH kept AS ({keep} RETURNING 1) SELECT idempotency_claim_lost() WHERE NOT EXISTS (SELECT 1 FROM kept)"
            : $"{keep} RETURNING 1");
        AddKey(c.Parameters);
        c.Parameters.AddWithValue("status", r.Status);
        c.Parameters.AddWithValue("headers", JsonSerializer.Serialize(r.Headers));
        c.Parameters.AddWithValue("body", r.Body);
        return c;
    }

    private void AddKey(NpgsqlParameterCollection p)
    {
        p.AddWithValue("org", _orgId);
        p.AddWithValue("user", _userId);
        p.AddWithValue("key", _key);
        p.AddWithValue("hash", _hash);
        p.AddWithValue("claim", _claim);
        p.AddWithValue("retention", _options.Retention);
    }

    /// <summary>Runs write (which returns a row when it wrote); null when it wrote, else another request's row as it is now.</summary>
    private async Task<Stored?> WriteOrReadAsync(Db db, NpgsqlBatchCommand write, NpgsqlBatchCommand? first, CancellationToken ct)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn);
        if (first is not null) batch.BatchCommands.Add(first);
        batch.BatchCommands.Add(write);
        var read = new NpgsqlBatchCommand("""
            SELECT request_hash, status, headers::text, body FROM idempotency_keys
            WHERE org_id = @org AND user_id = @user AND key = @key AND claim <> @claim AND expires_at > now()
            """);
        AddKey(read.Parameters);
        batch.BatchCommands.Add(read);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (first is not null) await reader.NextResultAsync(ct);
        if (await reader.ReadAsync(ct)) return null;
        await reader.NextResultAsync(ct);
        if (!await reader.ReadAsync(ct)) return new Stored(null, null, null, null);
        return new Stored(reader.GetFieldValue<byte[]>(0), reader.IsDBNull(1) ? null : reader.GetInt32(1),
            reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3));
    }

    /// <summary>
    /// Called by Db with a transaction's answer before its commit: the answer goes into the commit batch, fenced (a row
    /// of another request under the key aborts the commit: that request's answer is the one).
    /// </summary>
    internal async Task RecordAtCommitAsync(CommitBatch batch, IResult answer)
    {
        var recorded = await RecordedResponse.CaptureAsync(answer, _http);
        if (!Kept(recorded.Status)) return;
        batch.Rows<AnswerRow>().Set(this, recorded);
    }

    /// <summary>The answer to send once the body has run.</summary>
    public async Task<IResult> FinishAsync(Db db, IResult answer, ILogger log)
    {
        _finished = true; // work the request started and left running (a full sync) records nothing
        if (_committed is { } inCommit) return inCommit.ToResult(replayed: false);
        var recorded = await RecordedResponse.CaptureAsync(answer, _http);
        try
        {
            if (!Kept(recorded.Status))
            {
                // Nothing kept for a 5xx: a claim is released, and a retry runs anew.
                if (!_atCommit) await WriteOrReadAsync(db, ReleaseCommand(), null, default);
                return recorded.ToResult(replayed: false);
            }
            // A claim gets its answer. At commit, the body kept nothing (it failed, or another request has the key, which
            // aborted this one's commit): the answer is kept unless the key is another's, whose answer this then is.
            var found = await WriteOrReadAsync(db, KeepCommand(recorded, fenced: false), null, default);
            if (found is null || found.Vanished || !_atCommit) return recorded.ToResult(replayed: false);
            return Answer(found).ToResult(replayed: true);
        }
        catch (ApiException e)
        {
            return ApiResults.Error(e);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The answer still goes out; a claim's lease lapses and a retry runs again.
            log.LogWarning(e, "Could not keep the answer of {Header} {Key}", Header, _key);
            return recorded.ToResult(replayed: false);
        }
    }

    /// <summary>
    /// 2xx and 4xx answers are kept: a retried bad request gets the same 4xx, and nothing it did is done twice. A 5xx
    /// (or a request the client closed, 499, or a refused sign-in, 401/403) says nothing about the request, so nothing is
    /// kept and a retry runs anew.
    /// </summary>
    private static bool Kept(int status) => status is < 500 and not (401 or 403 or 499);

    private NpgsqlBatchCommand ReleaseCommand()
    {
        var c = new NpgsqlBatchCommand("DELETE FROM idempotency_keys WHERE org_id = @org AND user_id = @user AND key = @key AND claim = @claim RETURNING 1");
        AddKey(c.Parameters);
        return c;
    }

    /// <summary>The answer of the request, written in its change's commit batch.</summary>
    internal sealed class AnswerRow : ICommitRows
    {
        private IdempotentRequest? _request;
        private RecordedResponse? _answer;

        public void Set(IdempotentRequest request, RecordedResponse answer) => (_request, _answer) = (request, answer);

        public NpgsqlBatchCommand? ToCommand() => _request?.KeepCommand(_answer!, fenced: true);

        /// <summary>The commit succeeded: the answer is kept, and is the request's answer.</summary>
        public void Committed() => _request!._committed = _answer;
    }
}
