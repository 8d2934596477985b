namespace ElectisSpace.Tests.Infrastructure;

/// <summary>
/// The rate limiter counts in fixed one-minute windows (RateLimiter): a test that needs N hits to land in one window waits,
/// when the current window is about to close, for the next one to start, so a slow machine cannot split its hits.
/// </summary>
public static class RateWindow
{
    public static async Task FreshMinuteAsync(double secondsNeeded = 20)
    {
        var now = DateTimeOffset.UtcNow;
        var left = TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(now.UtcTicks % TimeSpan.TicksPerMinute);
        if (left.TotalSeconds < secondsNeeded) await Task.Delay(left + TimeSpan.FromMilliseconds(50));
    }
}
