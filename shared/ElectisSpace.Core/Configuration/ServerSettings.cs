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
    public const string DatabaseMaxPoolSize = "Database:MaxPoolSize";
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

    /// <summary>Read by the Azure Functions host itself, not by our code; the sample must still carry them.</summary>
    public static readonly string[] FunctionsHost = ["AzureWebJobsStorage", "FUNCTIONS_WORKER_RUNTIME"];

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
    int RefreshPerMinute,
    int DatabaseMaxPoolSize = ServerSettings.DefaultMaxPoolSize)
{
    /// <summary>
    /// Connections the host opens at most (overrides any Maximum Pool Size in the connection string). PostgreSQL runs one
    /// process per connection, so past a few per core they only queue on the CPU; measured with the bench command on
    /// 2 cores (see README, "Performance"), the figure that served the most requests without raising p95.
    /// </summary>
    public const int DefaultMaxPoolSize = 16;

    /// <summary>The connection string with the pool bound applied.</summary>
    public string PooledConnectionString => new NpgsqlConnectionStringBuilder(DatabaseConnectionString) { MaxPoolSize = DatabaseMaxPoolSize }.ConnectionString;

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
            Int(config, SettingNames.RateLimitRefreshPerMinute, 10, 1, 100_000),
            Int(config, SettingNames.DatabaseMaxPoolSize, DefaultMaxPoolSize, 1, 1000));
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
