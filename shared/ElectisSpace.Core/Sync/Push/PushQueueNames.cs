namespace ElectisSpace.Core.Sync.Push;

/// <summary>
/// The Azure Storage queue names of the push engine, spelled once for the code: the Functions queue triggers bind them,
/// AzurePushQueue sends to and reads from them. infra/main.bicep creates the same names (pushQueueName,
/// pushPoisonQueueName); a test compares the two.
/// </summary>
public static class PushQueueNames
{
    public const string Push = "aims-push";
    public const string Poison = Push + PoisonSuffix;

    /// <summary>The Functions queue extension moves a message that failed maxDequeueCount times to "&lt;queue&gt;-poison".</summary>
    private const string PoisonSuffix = "-poison";

    public static string PoisonOf(string queue) => queue + PoisonSuffix;
}
