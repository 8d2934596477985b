using System.Text;

namespace ElectisSpace.AimsEmulator;

/// <summary>Command-line options of the standalone emulator. A seed file replaces the default seed;
/// --company/--store/--username/--password/--labels shape the default seed when there is no file.</summary>
internal sealed class EmulatorCommandLine
{
    public const string Usage = """
        Options:
          --urls URL                     where to listen (default http://127.0.0.1:5081)
          --seed FILE                    JSON seed file (same shape as POST /_emulator/seed)
          --company CODE                 default DEMO
          --store CODE                   default 001
          --username EMAIL               default aims@demo.local
          --password TEXT                default Demo-Aims-2026
          --labels N                     labels in the default store (default 20)
          --cluster common|c1            bind the default company to one root (default: both)
          --token-lifetime-seconds N     default 3600
          --article-delay-ms N           accepted articles become visible after N ms (default 0)
          --whitelist-mode               linking a non-whitelisted label answers NOT_IN_WHITELIST
          --reject-article-ids REGEX     accept but silently drop articles whose id matches (validation-error log)
        """;

    public EmulatorSeed Seed { get; private set; } = new();
    public EmulatorOptions Options { get; } = new();
    public bool HasUrls { get; private set; }
    public bool ShowHelp { get; private set; }
    private string? _seedFile;

    public static EmulatorCommandLine Parse(string[] args)
    {
        var command = new EmulatorCommandLine();
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i].TrimStart('-');
            if (name is "help" or "h") command.ShowHelp = true;
            else if (name == "whitelist-mode") command.Options.WhitelistMode = true;
            else if (i + 1 < args.Length) values[name] = args[++i];
            else throw new ArgumentException($"Option {args[i]} needs a value.");
        }

        command.HasUrls = values.ContainsKey("urls");
        if (values.TryGetValue("token-lifetime-seconds", out var lifetime)) command.Options.TokenLifetime = TimeSpan.FromSeconds(PositiveInt(lifetime));
        if (values.TryGetValue("reject-article-ids", out var reject)) command.Options.RejectArticleIdPattern = reject;
        if (values.TryGetValue("article-delay-ms", out var delay)) command.Options.ArticleVisibilityDelay = TimeSpan.FromMilliseconds(PositiveInt(delay, allowZero: true));

        if (values.TryGetValue("seed", out var file))
        {
            command._seedFile = file;
            command.Seed = EmulatorSeed.FromJson(File.ReadAllText(file));
            return command;
        }
        command.Seed = EmulatorSeed.CreateDefault(
            values.GetValueOrDefault("company", EmulatorSeed.DefaultCompany),
            values.GetValueOrDefault("store", EmulatorSeed.DefaultStore),
            values.GetValueOrDefault("username", EmulatorSeed.DefaultUsername),
            values.GetValueOrDefault("password", EmulatorSeed.DefaultPassword),
            values.TryGetValue("labels", out var labels) ? PositiveInt(labels, allowZero: true) : EmulatorSeed.DefaultLabelCount);
        if (values.TryGetValue("cluster", out var cluster)) command.Seed.Companies[0].Cluster = cluster;
        return command;
    }

    private static int PositiveInt(string text, bool allowZero = false) =>
        int.TryParse(text, out var value) && (value > 0 || (allowZero && value == 0))
            ? value
            : throw new ArgumentException($"'{text}' is not a valid number here.");

    /// <summary>What was seeded, for the start-up banner.</summary>
    public string Describe()
    {
        var text = new StringBuilder($"AIMS emulator seeded{(_seedFile is null ? "" : " from " + _seedFile)}:\n");
        foreach (var account in Seed.Accounts)
            text.AppendLine($"  account {account.Username} / {account.Password} -> companies {string.Join(", ", account.Companies)}");
        foreach (var company in Seed.Companies)
        {
            text.AppendLine($"  company {company.Code} (cluster {company.Cluster ?? "common+c1"}, format {(company.Format is null ? "none" : "set")})");
            foreach (var store in company.Stores)
                text.AppendLine($"    store {store.Code} \"{store.Name}\": {store.Labels.Count} labels, {store.Articles.Count} articles");
        }
        text.Append($"  token lifetime {Options.TokenLifetime.TotalSeconds} s, article delay {Options.ArticleVisibilityDelay.TotalMilliseconds} ms, whitelist mode {(Options.WhitelistMode ? "on" : "off")}");
        return text.ToString();
    }
}
