using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElectisSpace.AimsEmulator;

/// <summary>What the emulator starts with: accounts and companies with their stores, labels and articles.
/// The same shape is read from a seed file and accepted by <c>POST /_emulator/seed</c>.</summary>
public sealed class EmulatorSeed
{
    public List<SeedAccount> Accounts { get; set; } = [];
    public List<SeedCompany> Companies { get; set; } = [];

    public const string DefaultCompany = "DEMO";
    public const string DefaultStore = "001";
    public const string DefaultUsername = "aims@demo.local";
    public const string DefaultPassword = "Demo-Aims-2026";
    public const int DefaultLabelCount = 20;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static EmulatorSeed FromJson(string json) =>
        JsonSerializer.Deserialize<EmulatorSeed>(json, Json) ?? throw new InvalidDataException("Seed JSON is empty.");

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>One account with one company and one store holding <paramref name="labelCount"/> labels
    /// (every third label has 2 pages, like a conference-room label).</summary>
    public static EmulatorSeed CreateDefault(
        string company = DefaultCompany, string store = DefaultStore,
        string username = DefaultUsername, string password = DefaultPassword, int labelCount = DefaultLabelCount) => new()
    {
        Accounts = [new SeedAccount { Username = username, Password = password, Companies = [company] }],
        Companies =
        [
            new SeedCompany
            {
                Code = company,
                Format = DefaultFormat(),
                Stores = [new SeedStore { Code = store, Name = $"Store {store}", Labels = CreateLabels(labelCount) }],
            },
        ],
    };

    /// <summary>Labels with 12-hex-digit codes 0470A1B20000, 0470A1B20001, ...</summary>
    public static List<SeedLabel> CreateLabels(int count, string prefix = "0470A1B2") =>
        Enumerable.Range(0, count).Select(i => new SeedLabel
        {
            Code = $"{prefix}{i:X4}",
            Pages = i % 3 == 0 ? 2 : 1,
            Type = i % 3 == 0 ? "NEWTON_GRAPHIC_2_9_RED_NFC" : "NEWTON_GRAPHIC_2_2_RED",
            Battery = i % 7 == 6 ? "BAD" : "GOOD",
            Signal = i % 5 == 4 ? "GOOD" : "EXCELLENT",
        }).ToList();

    /// <summary>The article format of AIMS_API.md §6.1 (the spelling "delimeter" is SoluM's).</summary>
    public static JsonObject DefaultFormat() => new()
    {
        ["fileExtension"] = "csv",
        ["delimeter"] = ";",
        ["mappingInfo"] = new JsonObject
        {
            ["store"] = "STORE_ID", ["articleId"] = "ARTICLE_ID", ["articleName"] = "ITEM_NAME", ["nfcUrl"] = "NFC_URL",
        },
        ["articleBasicInfo"] = new JsonArray("store", "articleId", "articleName", "nfcUrl"),
        ["articleData"] = new JsonArray(
            "STORE_ID", "ARTICLE_ID", "ITEM_NAME", "NFC_URL", "RANK", "TITLE", "MEETING_NAME", "MEETING_TIME", "PARTICIPANTS"),
    };
}

public sealed class SeedAccount
{
    public string Username { get; set; } = "";
    public string Password { get; set; } = "";
    /// <summary>Company codes this account's tokens may use.</summary>
    public List<string> Companies { get; set; } = [];
}

public sealed class SeedCompany
{
    public string Code { get; set; } = "";
    /// <summary>"common" or "c1" binds the company to that root; null accepts both.</summary>
    public string? Cluster { get; set; }
    public JsonObject? Format { get; set; }
    public List<SeedStore> Stores { get; set; } = [];
}

public sealed class SeedStore
{
    public string Code { get; set; } = "";
    public string Name { get; set; } = "";
    public List<SeedLabel> Labels { get; set; } = [];
    public List<SeedArticle> Articles { get; set; } = [];
}

public sealed class SeedLabel
{
    public string Code { get; set; } = "";
    /// <summary>1..7.</summary>
    public int Pages { get; set; } = 1;
    public string Type { get; set; } = "NEWTON_GRAPHIC_2_2_RED";
    public string Battery { get; set; } = "GOOD";
    public string Signal { get; set; } = "EXCELLENT";
    public bool NetworkStatus { get; set; } = true;
    /// <summary>Pre-linked article ids (must exist in the same store's seed articles).</summary>
    public List<string> ArticleIds { get; set; } = [];
}

public sealed class SeedArticle
{
    public string ArticleId { get; set; } = "";
    public string ArticleName { get; set; } = "";
    public string NfcUrl { get; set; } = "";
    public Dictionary<string, string> Data { get; set; } = [];
}

/// <summary>Behaviour switches; the mutable ones can also be changed at run time over <c>POST /_emulator/options</c>.</summary>
public sealed class EmulatorOptions
{
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Accepted article writes become visible to GETs only after this delay (AIMS processes batches asynchronously).</summary>
    public TimeSpan ArticleVisibilityDelay { get; set; } = TimeSpan.Zero;
    /// <summary>When on, linking a label that was not <c>POST whitelist</c>ed answers 200 with responseCode NOT_IN_WHITELIST.</summary>
    public bool WhitelistMode { get; set; }
    public int MaxArticlesPerPost { get; set; } = 500;
    /// <summary>
    /// Articles whose id matches are accepted by POST (200, counted in invalidCount) but never stored: AIMS validates
    /// rows after answering, and a dropped row shows only in the batch's validation-error log. Exercises repair loops.
    /// </summary>
    public string? RejectArticleIdPattern { get; set; }
    /// <summary>Empty lists answer 204 without a body (as AIMS may); false answers 200 with an empty list.</summary>
    public bool EmptyListAs204 { get; set; } = true;
    public TimeProvider Clock { get; set; } = TimeProvider.System;
    /// <summary>
    /// Called with each article write as it is applied (article id, the data written), in the order AIMS applies them
    /// (under the emulator's lock): a test can check that an article's writes never go back to older content.
    /// </summary>
    public Action<string, IReadOnlyDictionary<string, string>>? ArticleWritten { get; set; }
}
