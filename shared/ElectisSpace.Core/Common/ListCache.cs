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
/// </summary>
public sealed class ListCache
{
    /// <summary>Bytes of answers kept at most (least recently used go first).</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    private readonly MemoryCache _answers = new(new MemoryCacheOptions { SizeLimit = MaxBytes });

    private sealed record Answer(long Version, byte[] Json);

    /// <summary>The page <paramref name="read"/> builds on this connection, or the same answer kept from an earlier identical request.</summary>
    public async Task<IResult> PageAsync<T>(RequestContext ctx, Func<NpgsqlConnection, Task<PagedResponse<T>>> read)
    {
        var key = $"{ctx.User.OrgId}|{ctx.Request.Path}{ctx.Request.QueryString}";
        // The counter was read with the sign-in check, before the page: a change committed in between makes the page newer
        // than the version it is kept under, never older, so no later request is served something staler than it reads.
        var version = ctx.User.ListVersion;
        if (_answers.TryGetValue(key, out Answer? kept) && kept!.Version == version) return JsonBytes(kept.Json);
        var json = await ctx.Service<Db>().ReadAsync(async c =>
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(await read(c), Json.Options);
            _answers.Set(key, new Answer(version, body), new MemoryCacheEntryOptions
            {
                Size = body.Length + key.Length * 2,
                SlidingExpiration = TimeSpan.FromMinutes(10),
            });
            return body;
        }, ctx.Aborted);
        return JsonBytes(json);
    }

    private static IResult JsonBytes(byte[] body) => Results.Bytes(body, "application/json; charset=utf-8");
}
