using ElectisSpace.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>What every queue trigger does with a message: the aims-push body runs the processor; a poison body dead-letters.</summary>
public sealed class PushConsumer(PushProcessor processor, Db db, ILogger<PushConsumer> log)
{
    /// <summary>Throws on a body that is not a push message (it can only end in the poison queue).</summary>
    public Task<int> HandleAsync(string body, CancellationToken ct = default) =>
        PushMessage.TryParse(body) is { } m ? processor.ProcessOrganizationAsync(m.OrgId, ct)
            : throw new InvalidDataException("The message is not a push message {orgId, jobId}.");

    public async Task<bool> HandlePoisonAsync(string body, CancellationToken ct = default)
    {
        var m = PushMessage.TryParse(body);
        if (m is null) log.LogError("Unreadable poison message dropped: {Body}", body.Length > 200 ? body[..200] : body);
        return await DeadLetters.FromPoisonAsync(db, m, "The push worker failed on this job's message too many times (poison queue).", ct);
    }
}
