namespace ElectisSpace.Core.Sync;

public enum QueueProvider { Postgres, AzureStorage }

/// <summary>The push engine's settings (Queue:*, Sync:*); defaults follow the design's retry table and the Functions host.</summary>
public sealed record SyncOptions
{
    public QueueProvider QueueProvider { get; init; } = QueueProvider.Postgres;
    /// <summary>AzureWebJobsStorage: a connection string, or (identity-based) the queue service URI.</summary>
    public string? StorageConnection { get; init; }
    /// <summary>Standalone runs the queue listener, the post-commit dispatcher and the sweeper in process.</summary>
    public bool WorkerEnabled { get; init; } = true;
    /// <summary>First retry delay; doubles per attempt with jitter, capped by RetryMaxDelay.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>How long jobs wait, without spending an attempt, when AIMS is unreachable or its circuit is open.</summary>
    public TimeSpan AimsDownWait { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A claimed job returns to the pool when its worker has not finished it within this time (crash recovery).</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(2);
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// A push message whose processing failed (the database, a bug; never an AIMS answer, which the jobs' own retries
    /// handle) is sent again after MessageRetryBase·2^(delivery-1), capped by MessageRetryMax, until MessageMaxDeliveries;
    /// the defaults span over two minutes, so a database outage of a minute poisons nothing.
    /// </summary>
    public TimeSpan MessageRetryBase { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MessageRetryMax { get; init; } = TimeSpan.FromMinutes(1);
    public int MessageMaxDeliveries { get; init; } = 8;
    /// <summary>Completed outbox rows are purged after this.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);
}
