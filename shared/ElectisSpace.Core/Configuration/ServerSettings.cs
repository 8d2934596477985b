using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Settings;
using Microsoft.Extensions.Configuration;

namespace ElectisSpace.Core.Configuration;

/// <summary>
/// Every setting the code reads has exactly one name, here. local.settings.sample.json lists the same names
/// (with "__" for ":", as environment variables spell them) and a test keeps the two in step.
/// Nothing else in the code reads IConfiguration.
/// </summary>
public static class SettingNames
{
    public const string DatabaseConnectionString = "Database:ConnectionString";
    public const string DatabaseRunMigrations = "Database:RunMigrations";
    public const string JwtSigningKey = "Jwt:SigningKey";
    public const string JwtIssuer = "Jwt:Issuer";
    public const string JwtAudience = "Jwt:Audience";
    public const string JwtAccessTokenMinutes = "Jwt:AccessTokenMinutes";
    public const string JwtRefreshTokenDays = "Jwt:RefreshTokenDays";
    public const string SettingsEncryptionKey = "Security:SettingsEncryptionKey";
    public const string AimsDefaultBaseUrl = "Aims:DefaultBaseUrl";
    public const string AimsDefaultCluster = "Aims:DefaultCluster";
    public const string AimsAttemptTimeoutSeconds = "Aims:AttemptTimeoutSeconds";
    public const string AimsMaxRetries = "Aims:MaxRetries";
    public const string AimsRetryBaseDelayMilliseconds = "Aims:RetryBaseDelayMilliseconds";
    public const string AimsCircuitBreakSeconds = "Aims:CircuitBreakSeconds";
    public const string ApiReferencePageEnabled = "Api:ReferencePageEnabled";
    public const string RateLimitLoginPerMinute = "RateLimits:LoginPerMinute";
    public const string RateLimitRefreshPerMinute = "RateLimits:RefreshPerMinute";
    public const string QueueProvider = "Queue:Provider";
    public const string SyncWorkerEnabled = "Sync:WorkerEnabled";
    public const string SyncRetryBaseDelayMilliseconds = "Sync:RetryBaseDelayMilliseconds";
    public const string SyncRetryMaxDelaySeconds = "Sync:RetryMaxDelaySeconds";
    public const string SyncAimsDownWaitMilliseconds = "Sync:AimsDownWaitMilliseconds";
    public const string SyncLeaseSeconds = "Sync:LeaseSeconds";
    public const string SyncSweepIntervalSeconds = "Sync:SweepIntervalSeconds";
    public const string SyncRetentionDays = "Sync:RetentionDays";
    /// <summary>The Functions host's storage connection (also read by us for the Azure Storage queue provider).</summary>
    public const string AzureWebJobsStorage = "AzureWebJobsStorage";

    /// <summary>Read by the Azure Functions host itself, not by our code; the sample must still carry them.</summary>
    public static readonly string[] FunctionsHost = ["FUNCTIONS_WORKER_RUNTIME"];

    public static IReadOnlyList<string> All { get; } = typeof(SettingNames)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
}

/// <summary>The settings, read and checked once at start-up. A missing required setting stops start-up naming it.</summary>
public sealed record ServerSettings(
    string DatabaseConnectionString,
    bool RunMigrations,
    byte[] JwtSigningKey,
    string JwtIssuer,
    string JwtAudience,
    TimeSpan AccessTokenLifetime,
    TimeSpan RefreshTokenLifetime,
    byte[] SettingsEncryptionKey,
    AimsOptions Aims,
    bool ApiReferencePageEnabled,
    int LoginPerMinute,
    int RefreshPerMinute)
{
    /// <summary>The push engine: queue provider, retry timing, AIMS-down wait, lease, sweeper and retention.</summary>
    public ElectisSpace.Core.Sync.SyncOptions Sync { get; init; } = new();

    public static ServerSettings Load(IConfiguration config)
    {
        var jwtKey = System.Text.Encoding.UTF8.GetBytes(Required(config, SettingNames.JwtSigningKey));
        if (jwtKey.Length < 32)
            throw new InvalidOperationException($"Setting '{SettingNames.JwtSigningKey}' must be at least 32 bytes long (HS256).");

        var encKeyText = Required(config, SettingNames.SettingsEncryptionKey);
        byte[] encKey;
        try { encKey = Convert.FromBase64String(encKeyText); }
        catch (FormatException) { encKey = []; }
        if (encKey.Length != 32)
            throw new InvalidOperationException($"Setting '{SettingNames.SettingsEncryptionKey}' must be 32 bytes, base64-encoded (AES-256-GCM). Generate one with: openssl rand -base64 32");

        return new ServerSettings(
            Required(config, SettingNames.DatabaseConnectionString),
            Bool(config, SettingNames.DatabaseRunMigrations, true),
            jwtKey,
            config[SettingNames.JwtIssuer] is { Length: > 0 } iss ? iss : "electisspace",
            config[SettingNames.JwtAudience] is { Length: > 0 } aud ? aud : "electisspace-clients",
            TimeSpan.FromMinutes(Int(config, SettingNames.JwtAccessTokenMinutes, 15, 1, 24 * 60)),
            TimeSpan.FromDays(Int(config, SettingNames.JwtRefreshTokenDays, 7, 1, 365)),
            encKey,
            new AimsOptions
            {
                DefaultBaseUrl = config[SettingNames.AimsDefaultBaseUrl] is { Length: > 0 } url ? url.TrimEnd('/') : null,
                DefaultCluster = config[SettingNames.AimsDefaultCluster] switch
                {
                    null or "" or "common" => AimsCluster.Common,
                    "c1" => AimsCluster.C1,
                    var other => throw new InvalidOperationException($"Setting '{SettingNames.AimsDefaultCluster}' must be common or c1; got '{other}'."),
                },
                AttemptTimeout = TimeSpan.FromSeconds(Int(config, SettingNames.AimsAttemptTimeoutSeconds, 30, 1, 300)),
                MaxRetries = Int(config, SettingNames.AimsMaxRetries, 3, 0, 10),
                RetryBaseDelay = TimeSpan.FromMilliseconds(Int(config, SettingNames.AimsRetryBaseDelayMilliseconds, 1000, 1, 60_000)),
                CircuitBreakDuration = TimeSpan.FromSeconds(Int(config, SettingNames.AimsCircuitBreakSeconds, 30, 1, 3600)),
            },
            Bool(config, SettingNames.ApiReferencePageEnabled, false),
            Int(config, SettingNames.RateLimitLoginPerMinute, 5, 1, 100_000),
            Int(config, SettingNames.RateLimitRefreshPerMinute, 10, 1, 100_000))
        {
            Sync = new ElectisSpace.Core.Sync.SyncOptions
            {
                QueueProvider = config[SettingNames.QueueProvider] switch
                {
                    null or "" or "Postgres" => ElectisSpace.Core.Sync.QueueProvider.Postgres,
                    "AzureStorage" => ElectisSpace.Core.Sync.QueueProvider.AzureStorage,
                    var other => throw new InvalidOperationException($"Setting '{SettingNames.QueueProvider}' must be Postgres or AzureStorage; got '{other}'."),
                },
                StorageConnection = config[SettingNames.AzureWebJobsStorage] is { Length: > 0 } storage ? storage : null,
                WorkerEnabled = Bool(config, SettingNames.SyncWorkerEnabled, true),
                RetryBaseDelay = TimeSpan.FromMilliseconds(Int(config, SettingNames.SyncRetryBaseDelayMilliseconds, 2000, 1, 600_000)),
                RetryMaxDelay = TimeSpan.FromSeconds(Int(config, SettingNames.SyncRetryMaxDelaySeconds, 300, 1, 86_400)),
                AimsDownWait = TimeSpan.FromMilliseconds(Int(config, SettingNames.SyncAimsDownWaitMilliseconds, 30_000, 1, 3_600_000)),
                Lease = TimeSpan.FromSeconds(Int(config, SettingNames.SyncLeaseSeconds, 120, 1, 3600)),
                SweepInterval = TimeSpan.FromSeconds(Int(config, SettingNames.SyncSweepIntervalSeconds, 30, 1, 3600)),
                Retention = TimeSpan.FromDays(Int(config, SettingNames.SyncRetentionDays, 7, 1, 365)),
            },
        };
    }

    private static string Required(IConfiguration config, string name) =>
        config[name] is { Length: > 0 } v ? v
            : throw new InvalidOperationException(
                $"Missing required setting '{name}' (environment variable {name.Replace(":", "__")}). See local.settings.sample.json.");

    private static int Int(IConfiguration config, string name, int fallback, int min, int max)
    {
        var raw = config[name];
        if (string.IsNullOrEmpty(raw)) return fallback;
        if (!int.TryParse(raw, out var v) || v < min || v > max)
            throw new InvalidOperationException($"Setting '{name}' must be a whole number from {min} to {max}; got '{raw}'.");
        return v;
    }

    private static bool Bool(IConfiguration config, string name, bool fallback)
    {
        var raw = config[name];
        if (string.IsNullOrEmpty(raw)) return fallback;
        return bool.TryParse(raw, out var v) ? v : throw new InvalidOperationException($"Setting '{name}' must be true or false; got '{raw}'.");
    }
}
