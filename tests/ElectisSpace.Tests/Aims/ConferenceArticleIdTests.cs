using Dapper;
using ElectisSpace.Core.Aims;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Aims;

/// <summary>A room's AIMS article id has one spelling in C# (ArticleMapper) and one in SQL (conference_article_id), and the outbox keys a room's jobs by it.</summary>
public sealed class ConferenceArticleIdTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task SQL_spells_a_rooms_article_id_as_the_mapper_does_and_the_outbox_keys_by_it()
    {
        var org = await app.CreateOrgAsync();
        var room = await org.Admin.CreateRoomAsync("R-7");

        var (sqlId, key) = await app.Db.ReadAsync(c => c.QuerySingleAsync<(string, string)>("""
            SELECT conference_article_id('R-7'),
                   (SELECT aims_key FROM sync_queue WHERE org_id = @org AND entity_id = @room AND action = 'upsert_article' LIMIT 1)
            """, new { org = org.OrgId, room = room.Id() }));

        Assert.Equal(ArticleMapper.ConferenceArticleId("R-7"), sqlId);
        Assert.Equal("article:" + ArticleMapper.ConferenceArticleId("R-7"), key);
    }
}
