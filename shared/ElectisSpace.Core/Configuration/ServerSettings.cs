using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Database;
using ElectisSpace.Core.Domain;
using ElectisSpace.Core.Formats;
using ElectisSpace.Core.Lists;
using ElectisSpace.Core.Pipeline;
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
    public const string DatabaseAuthMode = "Database:AuthMode";
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
    public const string NetworkTrustedProxies = "Network:TrustedProxies";
    public const string SyncAliveSchedule = "Sync:AliveSchedule";
    public const string SyncPullSchedule = "Sync:PullSchedule";
    public const string SyncTimersEnabled = "Sync:TimersEnabled";
    public const string SyncStepMaxAttempts = "Sync:StepMaxAttempts";
    public const string SyncStepRetryMilliseconds = "Sync:StepRetryMilliseconds";
    public const string QueueProvider = "Queue:Provider";
    public const string SyncWorkerEnabled = "Sync:WorkerEnabled";
    public const string SyncRetryBaseDelayMilliseconds = "Sync:RetryBaseDelayMilliseconds";
    public const string SyncRetryMaxDelaySeconds = "Sync:RetryMaxDelaySeconds";
    public const string SyncAimsDownWaitMilliseconds = "Sync:AimsDownWaitMilliseconds";
    public const string SyncLeaseSeconds = "Sync:LeaseSeconds";
    public const string SyncSweepIntervalSeconds = "Sync:SweepIntervalSeconds";
    public const string SyncRetentionDays = "Sync:RetentionDays";
    public const string SyncMessageRetryBaseMilliseconds = "Sync:MessageRetryBaseMilliseconds";
    public const string SyncMessageRetryMaxSeconds = "Sync:MessageRetryMaxSeconds";
    public const string SyncMessageMaxDeliveries = "Sync:MessageMaxDeliveries";
    public const string IdempotencyRetentionSeconds = "Idempotency:RetentionSeconds";
    public const string IdempotencyLeaseSeconds = "Idempotency:LeaseSeconds";
    public const string EventsPollMilliseconds = "Events:PollMilliseconds";
    public const string EventsPollSpacingMilliseconds = "Events:PollSpacingMilliseconds";
    public const string EventsHeartbeatMilliseconds = "Events:HeartbeatMilliseconds";
    public const string EventsRetentionMinutes = "Events:RetentionMinutes";
    public const string EventsSessionCheckMilliseconds = "Events:SessionCheckMilliseconds";
    public const string EventsStreamBuffer = "Events:StreamBuffer";
    public const string EventsMaxStreamSeconds = "Events:MaxStreamSeconds";
    /// <summary>The Functions host's storage connection (also read by us for the Azure Storage queue provider).</summary>
    public const string AzureWebJobsStorage = "AzureWebJobsStorage";

    /// <summary>Read by the Azure Functions host itself, not by our code; the sample must still carry them.</summary>
    public static readonly string[] FunctionsHost = ["FUNCTIONS_WORKER_RUNTIME"];

    public static IReadOnlyList<string> All { get; } = typeof(SettingNames)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
}

/// <summary>
/// What differs between the two hosts by design, not by setting. Functions: migrations are an operator step (`migrate`),
/// not a cold start of every scaled-out instance, and the worker is reached only through the Functions host's proxy on
/// loopback. Standalone: migrates at start and faces its clients (or an operator-configured proxy) directly.
/// </summary>
public sealed record HostProfile(bool RunMigrationsByDefault, bool BehindLoopbackProxy)
{
    public static readonly HostProfile Standalone = new(RunMigrationsByDefault: true, BehindLoopbackProxy: false);
    public static readonly HostProfile Functions = new(RunMigrationsByDefault: false, BehindLoopbackProxy: true);
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
    IReadOnlyList<System.Net.IPNetwork> TrustedProxies,
    SyncScheduleOptions SyncSchedule,
    int DatabaseMaxPoolSize = ServerSettings.DefaultMaxPoolSize)
{
    /// <summary>
    /// Connections the host opens at most (overrides any Maximum Pool Size in the connection string). PostgreSQL runs one
    /// process per connection, so past a few per core they only queue on the CPU; measured with the bench command on
    /// 2 cores (see docs/performance.md), the figure that served the most requests without raising p95.
    /// </summary>
    public const int DefaultMaxPoolSize = 16;

    /// <summary>
    /// The connection string with the pool bound applied, and two choices the bench measured (docs/performance.md):
    /// statements used more than a few times are prepared on each connection (PostgreSQL plans them once instead of on
    /// every request, where planning a list page cost more than running it), and a connection going back to the pool is
    /// not reset (the DISCARD ALL cost as much as a primary-key read, and would also drop those prepared statements).
    /// The reset is safe to skip because nothing leaves session state behind: transactions end with their connection
    /// (Npgsql rolls back), temp tables are ON COMMIT DROP, and session advisory locks are released in finally blocks;
    /// nothing LISTENs. No SET, SET ROLE or search_path change is ever issued.
    /// </summary>
    public string PooledConnectionString => new NpgsqlConnectionStringBuilder(DatabaseConnectionString)
    {
        MaxPoolSize = DatabaseMaxPoolSize,
        MaxAutoPrepare = 256,
        NoResetOnClose = true,
    }.ConnectionString;

    /// <summary>Password (in the connection string, the default) or Entra (a token of the managed identity; DatabaseAuth).</summary>
    public DatabaseAuthMode DatabaseAuth { get; init; } = DatabaseAuthMode.Password;

    /// <summary>The push engine: queue provider, retry timing, AIMS-down wait, lease, sweeper and retention.</summary>
    public ElectisSpace.Core.Sync.SyncOptions Sync { get; init; } = new();

    /// <summary>Idempotency-Key: how long answers are kept, and how long a running request holds its key.</summary>
    public ElectisSpace.Core.Idempotency.IdempotencyOptions Idempotency { get; init; } = new();

    /// <summary>Live updates (GET /api/events): poll interval, heartbeat, retention, session checks, per-stream buffer, stream lifetime.</summary>
    public ElectisSpace.Core.Events.EventsOptions Events { get; init; } = new();

    public static ServerSettings Load(IConfiguration config, HostProfile? host = null)
    {
        host ??= HostProfile.Standalone;
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
            Bool(config, SettingNames.DatabaseRunMigrations, host.RunMigrationsByDefault),
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
            [.. host.BehindLoopbackProxy ? ClientAddress.Loopback : [], .. Networks(config, SettingNames.NetworkTrustedProxies)],
            new SyncScheduleOptions(
                Cron(config, SettingNames.SyncAliveSchedule, SyncScheduleOptions.DefaultAliveSchedule),
                Cron(config, SettingNames.SyncPullSchedule, SyncScheduleOptions.DefaultPullSchedule),
                Bool(config, SettingNames.SyncTimersEnabled, true),
                Int(config, SettingNames.SyncStepMaxAttempts, 3, 1, 10),
                Int(config, SettingNames.SyncStepRetryMilliseconds, 2000, 1, 600_000)),
            Int(config, SettingNames.DatabaseMaxPoolSize, DefaultMaxPoolSize, 1, 1000))
        {
            DatabaseAuth = AuthMode(config),
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
                MessageRetryBase = TimeSpan.FromMilliseconds(Int(config, SettingNames.SyncMessageRetryBaseMilliseconds, 1000, 1, 600_000)),
                MessageRetryMax = TimeSpan.FromSeconds(Int(config, SettingNames.SyncMessageRetryMaxSeconds, 60, 1, 3600)),
                MessageMaxDeliveries = Int(config, SettingNames.SyncMessageMaxDeliveries, 8, 1, 100),
            },
            Idempotency = new ElectisSpace.Core.Idempotency.IdempotencyOptions
            {
                Retention = TimeSpan.FromSeconds(Int(config, SettingNames.IdempotencyRetentionSeconds, 24 * 3600, 1, 30 * 24 * 3600)),
                Lease = TimeSpan.FromSeconds(Int(config, SettingNames.IdempotencyLeaseSeconds, 120, 1, 3600)),
            },
            Events = new ElectisSpace.Core.Events.EventsOptions
            {
                PollInterval = TimeSpan.FromMilliseconds(Int(config, SettingNames.EventsPollMilliseconds, 150, 10, 60_000)),
                PollSpacing = TimeSpan.FromMilliseconds(Int(config, SettingNames.EventsPollSpacingMilliseconds, 25, 0, 1_000)),
                Heartbeat = TimeSpan.FromMilliseconds(Int(config, SettingNames.EventsHeartbeatMilliseconds, 15_000, 10, 600_000)),
                Retention = TimeSpan.FromMinutes(Int(config, SettingNames.EventsRetentionMinutes, 10, 1, 24 * 60)),
                SessionCheck = TimeSpan.FromMilliseconds(Int(config, SettingNames.EventsSessionCheckMilliseconds, 3_000, 10, 600_000)),
                StreamBuffer = Int(config, SettingNames.EventsStreamBuffer, 10_000, 1, 1_000_000),
                MaxStreamDuration = Int(config, SettingNames.EventsMaxStreamSeconds, 0, 0, 86_400) is var s and > 0 ? TimeSpan.FromSeconds(s) : null,
            },
        };
    }

    private static DatabaseAuthMode AuthMode(IConfiguration config)
    {
        var mode = config[SettingNames.DatabaseAuthMode] switch
        {
            null or "" or "Password" => DatabaseAuthMode.Password,
            "Entra" => DatabaseAuthMode.Entra,
            var other => throw new InvalidOperationException($"Setting '{SettingNames.DatabaseAuthMode}' must be Password or Entra; got '{other}'."),
        };
        // Npgsql refuses a password beside a password provider; say which setting is wrong instead.
        if (mode == DatabaseAuthMode.Entra && !string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(config[SettingNames.DatabaseConnectionString]).Password))
            throw new InvalidOperationException($"Setting '{SettingNames.DatabaseConnectionString}' must not carry a Password when {SettingNames.DatabaseAuthMode} is Entra (the password is an Entra token).");
        return mode;
    }

    /// <summary>Comma-separated addresses or CIDR ranges ("10.0.0.5, 10.1.0.0/16").</summary>
    private static IEnumerable<System.Net.IPNetwork> Networks(IConfiguration config, string name)
    {
        foreach (var item in (config[name] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (System.Net.IPNetwork.TryParse(item, out var network)) yield return network;
            else if (System.Net.IPAddress.TryParse(item, out var ip)) yield return new System.Net.IPNetwork(ip, ip.GetAddressBytes().Length * 8);
            else throw new InvalidOperationException($"Setting '{name}' must list IP addresses or CIDR ranges separated by commas; got '{item}'.");
        }
    }

    /// <summary>A six-field NCRONTAB expression (seconds first), as the Functions timer trigger reads the same setting.</summary>
    private static string Cron(IConfiguration config, string name, string fallback)
    {
        var raw = config[name] is { Length: > 0 } v ? v : fallback;
        if (NCrontab.CrontabSchedule.TryParse(raw, new NCrontab.CrontabSchedule.ParseOptions { IncludingSeconds = true }) is null)
            throw new InvalidOperationException($"Setting '{name}' must be a six-field NCRONTAB expression (e.g. 0 */1 * * * *); got '{raw}'.");
        return raw;
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

/// <summary>
/// Secrets the command-line tools (seed-admin, set-aims, app-login) take from the environment instead of their command line, where
/// `ps` and shell history would show them. Not server settings (the server never reads them), but read here, the one
/// place that reads the process environment.
/// </summary>
public static class CommandEnvironment
{
    public const string AdminPassword = "ELECTIS_ADMIN_PASSWORD", AimsPassword = "ELECTIS_AIMS_PASSWORD", AppDbPassword = "ELECTIS_APP_DB_PASSWORD";
    public static string? Read(string name) => Environment.GetEnvironmentVariable(name);
}

/// <summary>
/// Sync timers and step retries. AliveSchedule/PullSchedule are NCRONTAB (the Functions timer triggers bind the same
/// settings as %Sync:AliveSchedule% / %Sync:PullSchedule%; Standalone's hosted service reads them here). The pull timer
/// ticks on PullSchedule and pulls each organization whose own pullIntervalMinutes has passed since its last pull.
/// Step retries: every full-sync step (activity) is tried StepMaxAttempts times, waiting StepRetry, doubling.
/// </summary>
public sealed record SyncScheduleOptions(string AliveSchedule, string PullSchedule, bool TimersEnabled, int StepMaxAttempts, int StepRetryMilliseconds)
{
    public const string DefaultAliveSchedule = "0 */1 * * * *";
    public const string DefaultPullSchedule = "30 */1 * * * *";
}
