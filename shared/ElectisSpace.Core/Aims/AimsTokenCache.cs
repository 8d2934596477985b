using System.Collections.Concurrent;

namespace ElectisSpace.Core.Aims;

/// <summary>
/// AIMS tokens per account and company (AIMS_API §3): used while enough lifetime is left, then refreshed, else a full
/// login. One login/refresh at a time per key (single flight): a burst of sync jobs must not log in fifty times.
/// </summary>
public sealed class AimsTokenCache(AimsOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, AimsToken> _tokens = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    /// <summary>The cached token for the key if it is still fresh enough to use.</summary>
    public AimsToken? Fresh(string key) =>
        _tokens.TryGetValue(key, out var t) && !NeedsRenewal(t) ? t : null;

    /// <summary>The cached token even if stale (its refresh token is what renewal uses).</summary>
    public AimsToken? Cached(string key) => _tokens.GetValueOrDefault(key);

    public void Store(string key, AimsToken token) => _tokens[key] = token;

    /// <summary>Drops the token AIMS just refused (only that one: a newer token from a parallel login stays).</summary>
    public void Invalidate(string key, AimsToken refused) =>
        _tokens.TryRemove(new KeyValuePair<string, AimsToken>(key, refused));

    public async Task<IDisposable> LockAsync(string key, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Release(gate);
    }

    /// <summary>Renew when less than the margin is left; the margin is capped at half the lifetime so short-lived tokens are still used.</summary>
    private bool NeedsRenewal(AimsToken t)
    {
        var margin = TimeSpan.FromTicks(Math.Min(options.TokenRefreshMargin.Ticks, (t.ExpiresAt - t.IssuedAt).Ticks / 2));
        return t.ExpiresAt - time.GetUtcNow() <= margin;
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _done;
        public void Dispose() { if (Interlocked.Exchange(ref _done, 1) == 0) gate.Release(); }
    }
}
