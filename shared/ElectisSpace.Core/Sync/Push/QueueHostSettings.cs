using Azure.Storage.Queues;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>
/// The queue trigger's numbers from the Functions host.json (extensions.queues): the Functions runtime applies them to the
/// aims-push trigger, and Standalone's Azure Storage listener reads the same file so both behave alike.
/// </summary>
/// <remarks>messageEncoding is "base64" (the extension's default) or "none"; AzurePushQueue encodes what it sends the same way.</remarks>
public sealed record QueueHostSettings(int MaxDequeueCount, TimeSpan VisibilityTimeout, int BatchSize, QueueMessageEncoding MessageEncoding)
{
    /// <summary>The Functions runtime's own defaults, used when no host.json is found.</summary>
    public static readonly QueueHostSettings Default = new(5, TimeSpan.Zero, 16, QueueMessageEncoding.Base64);

    /// <summary>host.json as shipped with the app (Standalone copies the Functions app's file next to itself).</summary>
    public static QueueHostSettings Load(string path)
    {
        if (!File.Exists(path)) return Default;
        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        if (!doc.RootElement.TryGetProperty("extensions", out var ext) || !ext.TryGetProperty("queues", out var q)) return Default;
        return new QueueHostSettings(
            q.TryGetProperty("maxDequeueCount", out var m) ? m.GetInt32() : Default.MaxDequeueCount,
            q.TryGetProperty("visibilityTimeout", out var v) ? TimeSpan.Parse(v.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : Default.VisibilityTimeout,
            q.TryGetProperty("batchSize", out var b) ? b.GetInt32() : Default.BatchSize,
            q.TryGetProperty("messageEncoding", out var e) ? Encoding(e.GetString()) : Default.MessageEncoding);
    }

    private static QueueMessageEncoding Encoding(string? value) => value?.ToLowerInvariant() switch
    {
        "base64" => QueueMessageEncoding.Base64,
        "none" => QueueMessageEncoding.None,
        _ => throw new InvalidOperationException($"host.json extensions.queues.messageEncoding must be \"base64\" or \"none\", not \"{value}\"."),
    };
}
