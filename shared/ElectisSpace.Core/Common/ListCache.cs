using Microsoft.Extensions.Caching.Memory;

namespace ElectisSpace.Core.Common;

/// <summary>
/// Answers of the busiest lists (people, spaces, conference rooms, users), kept as the bytes sent, and served again only
/// while the organization's change counter (migration 0010, list_versions) still reads what it read when the answer was
/// built. Every request still reads the counter from PostgreSQL (with its sign-in check, CurrentUser.ListVersion), so an
/// answer is never older than the last committed change, on any instance; a repeated list read (clients polling, paging
/// back and forth, the same search) costs no query of its own instead of the page, its joins and its count (a search's
/// count reads every match).
/// The request has passed authentication, its permission and the validation of its query before it gets here, and the
/// key is the organization with the exact path and query: nothing in these answers depends on who in the organization asks.
/// A single person, space or room (GET …/{id}) shows the same tables its list does, so it is kept the same way, with its ETag.
/// </summary>
public sealed class ListCache
{
    /// <summary>Bytes of answers kept at most (least recently used go first).</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    private readonly MemoryCache _answers = new(new MemoryCacheOptions { SizeLimit = MaxBytes });

    private sealed record Answer(long Version, byte[] Json, int? ETag = null);

    /// <summary>The page <paramref name="read"/> builds on this connection, or the same answer kept from an earlier identical request.</summary>
    public async Task<IResult> PageAsync<T>(RequestContext ctx, Func<NpgsqlConnection, Task<PagedResponse<T>>> read)
    {
        var (json, _) = await AnswerAsync(ctx, async c => (await read(c), (int?)null));
        return JsonBytes(json);
    }

    /// <summary>
    /// One row's answer (the body and the row version for its ETag) that <paramref name="read"/> builds, or the kept one;
    /// read throws the 404 itself, and a 404 is not kept.
    /// </summary>
    public async Task<IResult> ItemAsync<T>(RequestContext ctx, Func<NpgsqlConnection, Task<(T Body, int Version)>> read)
    {
        var (json, etag) = await AnswerAsync(ctx, async c => { var (body, version) = await read(c); return (body, (int?)version); });
        Concurrency.SetETag(ctx.Request, etag!.Value);
        return JsonBytes(json);
    }

    private async Task<(byte[] Json, int? ETag)> AnswerAsync<T>(RequestContext ctx, Func<NpgsqlConnection, Task<(T Body, int? ETag)>> read)
    {
        var key = $"{ctx.User.OrgId}|{ctx.Request.Path}{ctx.Request.QueryString}";
        // The counter was read with the sign-in check, before the answer: a change committed in between makes the answer
        // newer than the version it is kept under, never older, so no later request is served something staler than it reads.
        var version = ctx.User.ListVersion;
        if (_answers.TryGetValue(key, out Answer? kept) && kept!.Version == version) return (kept.Json, kept.ETag);
        return await ctx.Service<Db>().ReadAsync(async c =>
        {
            var (body, etag) = await read(c);
            var json = JsonSerializer.SerializeToUtf8Bytes(body, Json.Options);
            _answers.Set(key, new Answer(version, json, etag), new MemoryCacheEntryOptions
            {
                Size = json.Length + key.Length * 2,
                SlidingExpiration = TimeSpan.FromMinutes(10),
            });
            return (json, etag);
        }, ctx.Aborted);
    }

    private static IResult JsonBytes(byte[] body) => Results.Bytes(body, "application/json; charset=utf-8");
}
