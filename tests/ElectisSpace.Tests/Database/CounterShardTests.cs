using Dapper;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Tests.Database;

/// <summary>
/// The per-organization counters the triggers keep (row_counts, list_versions) must never make one writer wait for
/// another: two transactions that lock different rows in a safe order must not deadlock through them. The worst case
/// is forced here: two backends whose pids fall on the same preferred shard.
/// </summary>
public sealed class CounterShardTests : IAsyncLifetime
{
    private readonly TestApp _app = new();
    public Task InitializeAsync() => _app.InitializeAsync();
    public Task DisposeAsync() => _app.DisposeAsync();

    /// <summary>Two open connections (own backends) whose pids have the same remainder by 64 (65 tries always find one).</summary>
    private async Task<(NpgsqlConnection A, NpgsqlConnection B)> SameShardBackendsAsync()
    {
        var cs = new NpgsqlConnectionStringBuilder(_app.ConnectionString) { Pooling = false }.ConnectionString;
        var open = new List<(NpgsqlConnection Conn, int Pid)>();
        try
        {
            for (var i = 0; i <= 64; i++)
            {
                var conn = new NpgsqlConnection(cs);
                await conn.OpenAsync();
                var pid = await conn.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
                if (open.FirstOrDefault(o => o.Pid % 64 == pid % 64) is { Conn: not null } twin)
                {
                    open.Remove(twin);
                    return (twin.Conn, conn);
                }
                open.Add((conn, pid));
            }
            throw new InvalidOperationException("65 backends without two on the same shard");
        }
        finally
        {
            foreach (var (conn, _) in open) await conn.DisposeAsync();
        }
    }

    [Fact]
    public async Task Writers_on_the_same_shard_lock_different_rows_without_waiting_for_each_other()
    {
        var org = await _app.CreateOrgAsync();
        using var admin = org.Admin;
        var first = (await admin.CreatePersonAsync("First")).Id();
        var second = (await admin.CreatePersonAsync("Second")).Id();
        var (a, b) = await SameShardBackendsAsync();
        await using (a)
        await using (b)
        {
            // B gives up rather than wait: under the old shard choice its first write queued behind A's counter row.
            await b.ExecuteAsync("SET lock_timeout = '5s'");
            await using var ta = await a.BeginTransactionAsync();
            await using var tb = await b.BeginTransactionAsync();
            const string rename = """UPDATE people SET data = jsonb_build_object('name', @name) WHERE id = @id""";
            const string add = """INSERT INTO people (org_id, data, virtual_space_id) VALUES (@org, jsonb_build_object('name', @name), next_pool_id())""";

            await a.ExecuteAsync(rename, new { id = first, name = "First by A" }, ta);   // A holds `first` and a counter shard
            await a.ExecuteAsync(add, new { org = org.OrgId, name = "Added by A" }, ta);
            await b.ExecuteAsync(rename, new { id = second, name = "Second by B" }, tb); // B holds `second`; its counters must not wait for A
            await b.ExecuteAsync(add, new { org = org.OrgId, name = "Added by B" }, tb);

            // A now waits for `second` (B's row lock, a legitimate wait) until B commits: no deadlock, both commit.
            var aWaits = a.ExecuteAsync(rename, new { id = second, name = "Second by A" }, ta);
            await Task.Delay(300);
            Assert.False(aWaits.IsCompleted);
            await tb.CommitAsync();
            await aWaits;
            await ta.CommitAsync();
        }

        // The counters still say what the rows say.
        Assert.Equal(await _app.CountAsync("SELECT count(*) FROM people WHERE org_id = @o", new { o = org.OrgId }),
            await _app.CountAsync("SELECT coalesce(sum(n), 0) FROM row_counts WHERE org_id = @o AND table_name = 'people'", new { o = org.OrgId }));
        var list = await HttpAssert.Status(await admin.GetAsync("/api/people?limit=10&sort=name"), System.Net.HttpStatusCode.OK);
        Assert.Equal(4, list.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.Equal(["Added by A", "Added by B", "First by A", "Second by A"],
            list.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("data").GetProperty("name").GetString()).ToList());
    }

    [Fact]
    public async Task The_sweeper_folds_shard_rows_into_one_without_changing_a_sum_or_waiting_for_a_writer()
    {
        var org = await _app.CreateOrgAsync();
        using var admin = org.Admin;
        var cs = new NpgsqlConnectionStringBuilder(_app.ConnectionString) { Pooling = false }.ConnectionString;
        const string add = """INSERT INTO people (org_id, data, virtual_space_id) VALUES (@org, jsonb_build_object('name', @name), next_pool_id())""";
        for (var i = 0; i < 5; i++) // five backends, five shard rows per counter
        {
            await using var c = new NpgsqlConnection(cs);
            await c.ExecuteAsync(add, new { org = org.OrgId, name = $"Backend {i}" });
        }
        var o = new { o = org.OrgId };
        const string shards = "SELECT count(*) FROM row_counts WHERE org_id = @o AND table_name = 'people'";
        const string counted = "SELECT coalesce(sum(n), 0) FROM row_counts WHERE org_id = @o AND table_name = 'people'";
        const string version = "SELECT coalesce(sum(v), 0) FROM list_versions WHERE org_id = @o";
        // A writer that has written before, in the middle of a transaction, holds its shard rows: the fold skips them
        // instead of waiting.
        await using var writer = new NpgsqlConnection(cs);
        await writer.OpenAsync();
        await writer.ExecuteAsync(add, new { org = org.OrgId, name = "Writer before" });
        Assert.True(await _app.CountAsync(shards, o) >= 6);
        var versionBefore = await _app.CountAsync(version, o);
        await using var tx = await writer.BeginTransactionAsync();
        await writer.ExecuteAsync(add, new { org = org.OrgId, name = "In flight" }, tx);
        await _app.Services.GetRequiredService<ElectisSpace.Core.Sync.Push.PushSweeper>().SweepAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, await _app.CountAsync(shards, o)); // shard 0 and the writer's own
        Assert.Equal(6, await _app.CountAsync(counted, o));
        Assert.Equal(versionBefore, await _app.CountAsync(version, o));
        await tx.CommitAsync();
        Assert.Equal(7, await _app.CountAsync(counted, o));
        Assert.True(await _app.CountAsync(version, o) > versionBefore);
        var list = await HttpAssert.Status(await admin.GetAsync("/api/people?limit=1"), System.Net.HttpStatusCode.OK);
        Assert.Equal(7, list.GetProperty("pagination").GetProperty("total").GetInt32());
    }
}
