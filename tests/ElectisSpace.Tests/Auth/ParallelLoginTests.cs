using System.Net;
using System.Net.Http.Json;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Auth;

/// <summary>
/// Issue 18: password checks run without holding the user row, so parallel logins don't queue on it; the counters
/// they write stay exact (each failure counted once, a lockout still wins).
/// </summary>
public sealed class ParallelLoginTests(TestApp app) : IClassFixture<TestApp>
{
    private Task<HttpResponseMessage[]> LoginManyAsync(TestOrg org, string email, string password, int n) =>
        Task.WhenAll(Enumerable.Range(0, n).Select(_ => app.Client().PostAsJsonAsync("/api/auth/login", new { email, password, organization = org.Code })));

    [Fact]
    public async Task Parallel_logins_of_one_user_all_succeed_each_with_its_own_session()
    {
        var org = await app.CreateOrgAsync();
        var results = await LoginManyAsync(org, org.AdminEmail, TestApp.AdminPassword, 8);
        var tokens = new List<string>();
        foreach (var r in results)
            tokens.Add((await HttpAssert.Status(r, HttpStatusCode.OK)).GetProperty("refreshToken").GetString()!);
        Assert.Equal(8, tokens.Distinct().Count());
        Assert.Equal(8, await app.CountAsync("SELECT count(*) FROM audit_logs WHERE user_id = @u AND action = 'login'", new { u = org.AdminId }) - 1);
    }

    [Fact]
    public async Task Parallel_wrong_passwords_are_each_counted_and_the_tenth_locks_the_account()
    {
        var org = await app.CreateOrgAsync();
        foreach (var r in await LoginManyAsync(org, org.AdminEmail, "Wrong-Passw0rd", 7))
            await HttpAssert.Status(r, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal(7, await app.CountAsync("SELECT failed_login_count FROM users WHERE id = @u", new { u = org.AdminId }));

        var more = await LoginManyAsync(org, org.AdminEmail, "Wrong-Passw0rd", 3);
        Assert.All(more, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal(1, await app.CountAsync("SELECT count(*) FROM users WHERE id = @u AND locked_until > now() AND failed_login_count = 0", new { u = org.AdminId }));
        Assert.Equal(10, await app.CountAsync(
            "SELECT count(*) FROM audit_logs WHERE user_id = @u AND action = 'login_failed' AND new_data->>'reason' = 'wrong password'", new { u = org.AdminId }));
        Assert.Equal(1, await app.CountAsync(
            "SELECT count(*) FROM audit_logs WHERE user_id = @u AND action = 'login_failed' AND (new_data->>'failedAttempts')::int = 10 AND new_data->>'lockedUntil' IS NOT NULL", new { u = org.AdminId }));

        // Locked: even the right password is refused until the lock ends.
        var locked = await app.Client().PostAsJsonAsync("/api/auth/login", new { email = org.AdminEmail, password = TestApp.AdminPassword, organization = org.Code });
        Assert.NotEqual(HttpStatusCode.OK, locked.StatusCode);
    }
}
