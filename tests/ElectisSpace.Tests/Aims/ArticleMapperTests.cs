using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Settings;

namespace ElectisSpace.Tests.Aims;

/// <summary>The one entity → article mapping (AIMS_API §6), for every entity kind and field-mapping setting.</summary>
public sealed class ArticleMapperTests
{
    // The format of AIMS_API §6.1.
    private static readonly AimsArticleFormat Format = new(
        new Dictionary<string, string> { ["store"] = "STORE_ID", ["articleId"] = "ARTICLE_ID", ["articleName"] = "ITEM_NAME", ["nfcUrl"] = "NFC_URL" },
        ["STORE_ID", "ARTICLE_ID", "ITEM_NAME", "NFC_URL", "RANK", "TITLE", "MEETING_NAME", "MEETING_TIME", "PARTICIPANTS"]);

    private static ArticleMappings Mappings(AimsArticleFormat? format = null, Dictionary<string, Dictionary<string, string>>? fields = null) =>
        new(format ?? Format, fields ?? []);

    private static Dictionary<string, string> D(params (string K, string V)[] kv) => kv.ToDictionary(x => x.K, x => x.V);

    [Fact]
    public void Space_without_mappings_copies_fields_under_their_own_names_and_mirrors_the_id()
    {
        var a = ArticleMapper.Space(new SpaceArticleSource("D-101", D(("roomName", "Desk 101"), ("floor", "3")), null), Mappings());
        Assert.Equal("D-101", a.ArticleId);
        Assert.Equal("", a.ArticleName); // never the id
        Assert.Equal("", a.NfcUrl);
        Assert.Equal(D(("ARTICLE_ID", "D-101"), ("roomName", "Desk 101"), ("floor", "3")), a.Data);
    }

    [Fact]
    public void Space_field_mapped_to_the_name_key_becomes_the_article_name()
    {
        var m = Mappings(fields: new() { ["space"] = new() { ["roomName"] = "ITEM_NAME", ["floor"] = "FLOOR" } });
        var a = ArticleMapper.Space(new SpaceArticleSource("D-101", D(("roomName", "Desk 101"), ("floor", "3")), null), m);
        Assert.Equal("Desk 101", a.ArticleName);
        Assert.Equal(D(("ARTICLE_ID", "D-101"), ("ITEM_NAME", "Desk 101"), ("FLOOR", "3")), a.Data);
    }

    [Fact]
    public void Internal_empty_and_store_fields_are_never_sent_and_the_id_key_cannot_be_overwritten()
    {
        var data = D(("__PERSON_UUID__", "x"), ("_LIST_MEMBERSHIPS_", "y"), ("empty", ""), ("STORE_ID", "999"), ("ARTICLE_ID", "forged"), ("ok", "1"));
        var a = ArticleMapper.Space(new SpaceArticleSource("S1", data, null), Mappings());
        Assert.Equal(D(("ARTICLE_ID", "S1"), ("ok", "1")), a.Data);
    }

    [Fact]
    public void Occupied_space_shows_its_occupant_mapped_through_the_person_mapping()
    {
        var m = Mappings(fields: new()
        {
            ["space"] = new() { ["roomName"] = "ROOM" },
            ["person"] = new() { ["name"] = "ITEM_NAME", ["title"] = "TITLE", ["rank"] = "RANK" },
        });
        var person = new PersonArticleSource(D(("name", "Dana Levi"), ("title", "Engineer"), ("rank", "Major"), ("_internal", "no")));
        var a = ArticleMapper.Space(new SpaceArticleSource("12", D(("roomName", "Open space")), person), m);
        Assert.Equal("Dana Levi", a.ArticleName);
        Assert.Equal(D(("ARTICLE_ID", "12"), ("ITEM_NAME", "Dana Levi"), ("ROOM", "Open space"), ("TITLE", "Engineer"), ("RANK", "Major")), a.Data);
    }

    [Fact]
    public void Occupant_name_falls_back_to_name_or_NAME_when_nothing_maps_to_the_name_key()
    {
        var a = ArticleMapper.Space(new SpaceArticleSource("12", D(), new PersonArticleSource(D(("NAME", "Upper Case")))), Mappings());
        Assert.Equal("Upper Case", a.ArticleName);
        Assert.Equal("Upper Case", a.Data["ITEM_NAME"]);
        var b = ArticleMapper.PoolPerson("POOL-0001", new PersonArticleSource(D(("name", "Lower"), ("NAME", "Upper"))), Mappings());
        Assert.Equal("Lower", b.ArticleName);
    }

    [Fact]
    public void Unseated_person_has_an_article_under_its_POOL_id()
    {
        var m = Mappings(fields: new() { ["person"] = new() { ["department"] = "DEPT" } });
        var a = ArticleMapper.PoolPerson("POOL-0042", new PersonArticleSource(D(("name", "Avi"), ("department", "R&D"))), m);
        Assert.Equal("POOL-0042", a.ArticleId);
        Assert.Equal("Avi", a.ArticleName);
        Assert.Equal(D(("ARTICLE_ID", "POOL-0042"), ("ITEM_NAME", "Avi"), ("name", "Avi"), ("DEPT", "R&D")), a.Data);
    }

    [Fact]
    public void Without_an_article_format_no_mirrored_keys_are_added()
    {
        var a = ArticleMapper.Space(new SpaceArticleSource("S1", D(("roomName", "R")), null), Mappings(AimsArticleFormat.None));
        Assert.Equal(D(("roomName", "R")), a.Data);
        Assert.Equal("", a.ArticleName);
    }

    [Fact]
    public void Conference_with_a_meeting_mapping_uses_its_keys_and_formats_time_and_participants()
    {
        var m = Mappings(fields: new() { ["conference"] = new() { ["meetingName"] = "MEETING_NAME", ["meetingTime"] = "MEETING_TIME", ["participants"] = "PARTICIPANTS" } });
        var a = ArticleMapper.Conference(new ConferenceArticleSource("12", "Board Room", true, "Budget", "09:00", "10:30", ["Dana", "Avi"]), m);
        Assert.Equal("C12", a.ArticleId);
        Assert.Equal("Board Room", a.ArticleName);
        Assert.Equal(D(("ARTICLE_ID", "C12"), ("ITEM_NAME", "Board Room"), ("MEETING_NAME", "Budget"), ("MEETING_TIME", "09:00 - 10:30"), ("PARTICIPANTS", "Dana, Avi")), a.Data);

        var startOnly = ArticleMapper.Conference(new ConferenceArticleSource("12", "Board Room", true, "Budget", "09:00", null, []), m);
        Assert.Equal("09:00", startOnly.Data["MEETING_TIME"]);
        Assert.False(startOnly.Data.ContainsKey("PARTICIPANTS"));

        var free = ArticleMapper.Conference(new ConferenceArticleSource("12", "Board Room", false, "stale", "09:00", "10:00", ["x"]), m);
        Assert.Equal(D(("ARTICLE_ID", "C12"), ("ITEM_NAME", "Board Room")), free.Data);
    }

    [Fact]
    public void Conference_without_a_meeting_mapping_uses_the_legacy_data1_to_data5_layout()
    {
        var busy = ArticleMapper.Conference(new ConferenceArticleSource("7", "", true, "Standup", "09:00", "09:15", ["A", "B"]), Mappings());
        Assert.Equal("Conference 7", busy.ArticleName);
        Assert.Equal(D(("ARTICLE_ID", "C7"), ("ITEM_NAME", "Conference 7"), ("data1", "MEETING"), ("data2", "Standup"),
            ("data3", "09:00"), ("data4", "09:15"), ("data5", "A, B")), busy.Data);
        var free = ArticleMapper.Conference(new ConferenceArticleSource("7", "Huddle", false, null, null, null, []), Mappings());
        Assert.Equal(D(("ARTICLE_ID", "C7"), ("ITEM_NAME", "Huddle"), ("data1", "AVAILABLE")), free.Data);
    }

    [Fact]
    public void Conference_room_name_goes_to_a_mapped_key_too()
    {
        var m = Mappings(fields: new() { ["conference"] = new() { ["roomName"] = "ROOM_NAME" } });
        var a = ArticleMapper.Conference(new ConferenceArticleSource("1", "Aquarium", false, null, null, null, []), m);
        Assert.Equal("Aquarium", a.Data["ROOM_NAME"]);
        Assert.Equal("AVAILABLE", a.Data["data1"]);
    }

    [Fact]
    public void Pulled_articles_are_classified_by_id_and_data_comes_back_under_entity_field_names()
    {
        var m = Mappings(fields: new() { ["space"] = new() { ["roomName"] = "ITEM_NAME", ["floor"] = "FLOOR" }, ["person"] = new() { ["name"] = "ITEM_NAME" } });
        var space = Assert.IsType<PulledSpace>(ArticleMapper.Read(new AimsArticleInfo("101", "Desk", "",
            D(("ARTICLE_ID", "101"), ("STORE_ID", "001"), ("ITEM_NAME", "Desk"), ("FLOOR", "2"), ("EXTRA", "x"), ("BLANK", "")), ["LBL1"]), m));
        Assert.Equal("101", space.ExternalId);
        Assert.Equal(D(("roomName", "Desk"), ("floor", "2"), ("EXTRA", "x")), space.Data);
        Assert.Equal(["LBL1"], space.Labels);

        var room = Assert.IsType<PulledRoom>(ArticleMapper.Read(new AimsArticleInfo("C12", "Board Room", "", D(), []), m));
        Assert.Equal(("12", "Board Room"), (room.ExternalId, room.RoomName));
        Assert.IsType<PulledRoom>(ArticleMapper.Read(new AimsArticleInfo("c9", null, null, D(), []), m));

        var pool = Assert.IsType<PulledPoolPerson>(ArticleMapper.Read(new AimsArticleInfo("POOL-0003", "Avi", "", D(("ITEM_NAME", "Avi")), []), m));
        Assert.Equal(D(("name", "Avi")), pool.Data);
    }

    [Fact]
    public void Pushed_then_pulled_space_data_round_trips()
    {
        var m = Mappings(fields: new() { ["space"] = new() { ["roomName"] = "ITEM_NAME", ["capacity"] = "CAP" } });
        var fields = D(("roomName", "Desk 7"), ("capacity", "4"), ("floor", "1"));
        var pushed = ArticleMapper.Space(new SpaceArticleSource("7", fields, null), m);
        var pulled = Assert.IsType<PulledSpace>(ArticleMapper.Read(new AimsArticleInfo(pushed.ArticleId, pushed.ArticleName, "", pushed.Data, []), m));
        Assert.Equal(fields, pulled.Data);
    }

    [Theory]
    [InlineData("https://eu.common.solumesl.com", AimsCluster.Common, "https://eu.common.solumesl.com")]
    [InlineData("https://eu.common.solumesl.com/", AimsCluster.C1, "https://eu.common.solumesl.com/c1")]
    [InlineData("https://eu.common.solumesl.com/common", AimsCluster.Common, "https://eu.common.solumesl.com")]
    [InlineData("https://eu.common.solumesl.com/c1/common", AimsCluster.Common, "https://eu.common.solumesl.com")]
    [InlineData("https://eu.common.solumesl.com/common", AimsCluster.C1, "https://eu.common.solumesl.com/c1")]
    [InlineData("https://eu.common.solumesl.com/c1/common/", AimsCluster.C1, "https://eu.common.solumesl.com/c1")]
    public void The_cluster_setting_decides_the_root_not_the_url_text(string baseUrl, AimsCluster cluster, string root) =>
        Assert.Equal(root, AimsUrls.Root(baseUrl, cluster));

    [Fact]
    public void Business_urls_carry_company_and_store_encoded()
    {
        var conn = new AimsConnection("https://aims.test/common", AimsCluster.C1, "AC ME", "0&1", "u", "secret");
        Assert.Equal("https://aims.test/c1/common/api/v2/common/articles?company=AC%20ME&store=0%261&page=2&size=100",
            AimsUrls.Business(conn, "articles", query: [("page", "2"), ("size", "100")]));
        Assert.Equal("https://aims.test/c1/common/api/v2/token", AimsUrls.Token(conn.Root));
        Assert.DoesNotContain("secret", conn.ToString());
    }
}
