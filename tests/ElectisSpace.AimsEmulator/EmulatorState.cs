using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElectisSpace.AimsEmulator;

/// <summary>An article as AIMS would return it from <c>config/article/info</c>.</summary>
public sealed record AimsArticle(
    string ArticleId, string ArticleName, string NfcUrl,
    IReadOnlyDictionary<string, string> Data, IReadOnlyList<string> AssignedLabels);

public sealed record AimsLabel(
    string LabelCode, int Pages, int CurrentPage, IReadOnlyList<string> ArticleIds, string? TemplateName,
    string Type, string Battery, string Signal, bool NetworkStatus, bool Whitelisted);

internal enum TokenStatus { Valid, Missing, Invalid, Expired }

internal sealed record IssuedToken(string Username, DateTimeOffset ExpiresAt);

internal sealed record TokenPair(string AccessToken, string RefreshToken, int ExpiresInSeconds);

/// <summary>All data of the emulated AIMS: accounts, tokens and per (company, store) articles and labels.
/// One lock guards everything; handlers are short, so contention does not matter for tests.</summary>
public sealed class EmulatorState
{
    private readonly Lock _gate = new();
    private readonly EmulatorSeed _initialSeed;
    private readonly Dictionary<string, SeedAccount> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, CompanyModel> _companies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IssuedToken> _accessTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _refreshTokens = new(StringComparer.Ordinal);

    public EmulatorState(EmulatorSeed initialSeed, EmulatorOptions options)
    {
        _initialSeed = initialSeed;
        Options = options;
        Seed(initialSeed);
    }

    public EmulatorOptions Options { get; }

    internal DateTimeOffset Now => Options.Clock.GetUtcNow();

    // ---- seeding ----

    /// <summary>Adds or replaces what the seed names; everything else stays.</summary>
    public void Seed(EmulatorSeed seed)
    {
        lock (_gate)
        {
            foreach (var account in seed.Accounts) _accounts[account.Username] = account;
            foreach (var company in seed.Companies) SeedCompany(company);
        }
    }

    /// <summary>Back to the start-up seed; issued tokens are forgotten.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _accounts.Clear();
            _companies.Clear();
            _accessTokens.Clear();
            _refreshTokens.Clear();
        }
        Seed(_initialSeed);
    }

    private void SeedCompany(SeedCompany seed)
    {
        if (!_companies.TryGetValue(seed.Code, out var company))
            _companies[seed.Code] = company = new CompanyModel(seed.Code, seed.Cluster);
        if (seed.Cluster is not null) company.Cluster = seed.Cluster;
        if (seed.Format is not null) company.Format = (JsonObject)seed.Format.DeepClone();
        foreach (var storeSeed in seed.Stores)
        {
            if (!company.Stores.TryGetValue(storeSeed.Code, out var store))
                company.Stores[storeSeed.Code] = store = new StoreModel(storeSeed.Code, storeSeed.Name);
            if (storeSeed.Name != "") store.Name = storeSeed.Name;
            foreach (var article in storeSeed.Articles) store.Articles[article.ArticleId] = ToModel(article);
            foreach (var label in storeSeed.Labels) store.Labels[label.Code] = ToModel(label);
        }
    }

    private ArticleModel ToModel(SeedArticle seed) => new()
    {
        ArticleId = seed.ArticleId, ArticleName = seed.ArticleName, NfcUrl = seed.NfcUrl,
        Data = new Dictionary<string, string>(seed.Data), GenerateDate = Now, LastModified = Now,
    };

    private LabelModel ToModel(SeedLabel seed) => new()
    {
        Code = seed.Code, Pages = Math.Clamp(seed.Pages, 1, 7), Type = seed.Type, Battery = seed.Battery,
        Signal = seed.Signal, NetworkStatus = seed.NetworkStatus, ArticleIds = [.. seed.ArticleIds], LastChanged = Now,
    };

    // ---- tokens ----

    internal TokenPair? Login(string username, string password)
    {
        lock (_gate)
        {
            return _accounts.TryGetValue(username, out var account) && account.Password == password
                ? Issue(account.Username)
                : null;
        }
    }

    /// <summary>Rotates: the presented refresh token stops working.</summary>
    internal TokenPair? Refresh(string refreshToken)
    {
        lock (_gate)
        {
            return _refreshTokens.Remove(refreshToken, out var username) ? Issue(username) : null;
        }
    }

    private TokenPair Issue(string username)
    {
        var access = NewToken();
        var refresh = NewToken();
        _accessTokens[access] = new IssuedToken(username, Now + Options.TokenLifetime);
        _refreshTokens[refresh] = username;
        return new TokenPair(access, refresh, (int)Options.TokenLifetime.TotalSeconds);
    }

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    internal (TokenStatus Status, string? Username) CheckToken(string? token)
    {
        if (string.IsNullOrEmpty(token)) return (TokenStatus.Missing, null);
        lock (_gate)
        {
            if (!_accessTokens.TryGetValue(token, out var issued)) return (TokenStatus.Invalid, null);
            return issued.ExpiresAt <= Now ? (TokenStatus.Expired, issued.Username) : (TokenStatus.Valid, issued.Username);
        }
    }

    /// <summary>Every issued access token answers 401 TOKEN_EXPIRED from now on; refresh tokens stay valid.</summary>
    public void ExpireAllTokens()
    {
        lock (_gate)
        {
            foreach (var token in _accessTokens.Keys.ToList())
                _accessTokens[token] = _accessTokens[token] with { ExpiresAt = DateTimeOffset.MinValue };
        }
    }

    // ---- access for the endpoints ----

    internal bool AccountHasCompany(string username, string company)
    {
        lock (_gate)
        {
            return _accounts.TryGetValue(username, out var account) && account.Companies.Contains(company, StringComparer.Ordinal);
        }
    }

    /// <summary>Runs <paramref name="action"/> under the lock with the company (or null when unknown).</summary>
    internal T WithCompany<T>(string company, Func<CompanyModel?, T> action)
    {
        lock (_gate)
        {
            _companies.TryGetValue(company, out var model);
            if (model is not null)
            {
                foreach (var store in model.Stores.Values) store.ApplyDue(Now);
            }
            return action(model);
        }
    }

    // ---- snapshots for test assertions ----

    public IReadOnlyList<AimsArticle> Articles(string company, string store) =>
        WithStore(company, store, s => s.Articles.Values.Select(a => ToSnapshot(s, a)).ToList()) ?? [];

    public AimsArticle? Article(string company, string store, string articleId) =>
        WithStore(company, store, s => s.Articles.TryGetValue(articleId, out var a) ? ToSnapshot(s, a) : null);

    public IReadOnlyList<AimsLabel> Labels(string company, string store) =>
        WithStore(company, store, s => s.Labels.Values.Select(l => ToSnapshot(s, l)).ToList()) ?? [];

    public AimsLabel? Label(string company, string store, string labelCode) =>
        WithStore(company, store, s => s.Labels.TryGetValue(labelCode, out var l) ? ToSnapshot(s, l) : null);

    /// <summary>Article writes accepted but not yet visible (see <see cref="EmulatorOptions.ArticleVisibilityDelay"/>).</summary>
    public int PendingArticleWrites(string company, string store) =>
        WithCompany(company, c => c is not null && c.Stores.TryGetValue(store, out var s) ? s.PendingCount : 0);

    private T? WithStore<T>(string company, string store, Func<StoreModel, T> read) where T : class? =>
        WithCompany(company, c => c is not null && c.Stores.TryGetValue(store, out var s) ? read(s) : null);

    private static AimsArticle ToSnapshot(StoreModel store, ArticleModel a) =>
        new(a.ArticleId, a.ArticleName, a.NfcUrl, new Dictionary<string, string>(a.Data), store.LabelsOf(a.ArticleId).ToList());

    private static AimsLabel ToSnapshot(StoreModel store, LabelModel l) =>
        new(l.Code, l.Pages, l.CurrentPage, [.. l.ArticleIds], l.TemplateName, l.Type, l.Battery, l.Signal,
            l.NetworkStatus, store.Whitelist.Contains(l.Code));

    /// <summary>Everything as JSON, for <c>GET /_emulator/state</c>.</summary>
    public JsonObject Dump()
    {
        lock (_gate)
        {
            var companies = new JsonArray();
            foreach (var company in _companies.Values)
            {
                var stores = new JsonArray();
                foreach (var store in company.Stores.Values)
                {
                    store.ApplyDue(Now);
                    stores.Add(new JsonObject
                    {
                        ["code"] = store.Code,
                        ["name"] = store.Name,
                        ["pendingArticleWrites"] = store.PendingCount,
                        ["whitelist"] = new JsonArray([.. store.Whitelist.Order().Select(c => (JsonNode)c)]),
                        ["articles"] = JsonSerializer.SerializeToNode(store.Articles.Values.Select(a => ToSnapshot(store, a)), EmulatorSeed.Json),
                        ["labels"] = JsonSerializer.SerializeToNode(store.Labels.Values.Select(l => ToSnapshot(store, l)), EmulatorSeed.Json),
                    });
                }
                companies.Add(new JsonObject
                {
                    ["code"] = company.Code, ["cluster"] = company.Cluster, ["format"] = company.Format?.DeepClone(), ["stores"] = stores,
                });
            }
            return new JsonObject
            {
                ["options"] = new JsonObject
                {
                    ["tokenLifetimeSeconds"] = Options.TokenLifetime.TotalSeconds,
                    ["articleVisibilityDelayMs"] = Options.ArticleVisibilityDelay.TotalMilliseconds,
                    ["whitelistMode"] = Options.WhitelistMode,
                    ["maxArticlesPerPost"] = Options.MaxArticlesPerPost,
                    ["emptyListAs204"] = Options.EmptyListAs204,
                    ["rejectArticleIdPattern"] = Options.RejectArticleIdPattern,
                },
                ["accounts"] = new JsonArray([.. _accounts.Values.Select(a => (JsonNode)new JsonObject
                {
                    ["username"] = a.Username, ["companies"] = new JsonArray([.. a.Companies.Select(c => (JsonNode)c)]),
                })]),
                ["issuedAccessTokens"] = _accessTokens.Count,
                ["companies"] = companies,
            };
        }
    }
}
