using Dapper;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ElectisSpace.Core.Sync.Push;

namespace ElectisSpace.Tests.Sync;

/// <summary>The sweeper purges finished outbox rows older than Sync:RetentionDays in every organization, and nothing else.</summary>
public sealed class OutboxRetentionTests : IAsyncLifetime
{
    private readonly TestApp _app = new();
    public Task InitializeAsync() => _app.InitializeAsync();
    public Task DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task The_sweeper_purges_old_finished_jobs_of_every_organization_and_keeps_open_dead_and_recent_ones()
    {
        var orgs = new[] { await _app.CreateOrgAsync(), await _app.CreateOrgAsync() };
        foreach (var org in orgs)
            await _app.ExecAsync("""
                    INSERT INTO sync_queue (org_id, entity_type, entity_id, action, payload, status, processed_at, scheduled_at)
                    SELECT @orgId, 'space', gen_random_uuid(), 'upsert_article', jsonb_build_object('case', c.name), c.status,
                           now() - c.age, now() + interval '1 hour' -- the open one waits for a retry: the worker leaves it be
                    FROM (VALUES ('old completed', 'completed', interval '8 days'), ('old failed', 'failed', interval '8 days'),
                                 ('recent completed', 'completed', interval '6 days'), ('old dead', 'dead', interval '8 days'),
                                 ('old pending', 'pending', interval '8 days')) AS c(name, status, age)
                    """, new { orgId = org.OrgId });

        await _app.Services.GetRequiredService<ElectisSpace.Core.Sync.Push.PushSweeper>().SweepAsync().WaitAsync(TimeSpan.FromSeconds(10));

        await using var read = new NpgsqlConnection(_app.ConnectionString);
        foreach (var org in orgs)
        {
            var left = (await read.QueryAsync<string>(
                "SELECT payload->>'case' FROM sync_queue WHERE org_id = @orgId AND payload ? 'case' ORDER BY 1", new { orgId = org.OrgId })).ToList();
            Assert.Equal(["old dead", "old pending", "recent completed"], left);
        }
    }
}
