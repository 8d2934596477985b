using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace ElectisSpace.Core.Sync.Push;

/// <summary>
/// Organizations whose AIMS work this process has just committed (Db adds them after COMMIT), read by the dispatcher
/// (<see cref="PushDispatcherService"/>). In place of a NOTIFY from the outbox trigger, which serialized every such commit
/// in the database (migration 0015). An organization waiting to be read is queued once however many commits name it, so
/// a write storm makes one dispatch per organization per dispatcher turn, and memory stays bounded without a reader.
/// </summary>
public sealed class OutboxCommits
{
    private readonly Channel<Guid> _orgs = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<Guid, byte> _waiting = new();

    public void Add(Guid orgId)
    {
        if (_waiting.TryAdd(orgId, 0)) _orgs.Writer.TryWrite(orgId);
    }

    /// <summary>
    /// The organizations as they come. Each leaves the waiting set before it is handed out, so a commit made while it is
    /// being dispatched queues it again (one dispatch too many at worst, never one missed).
    /// </summary>
    public async IAsyncEnumerable<Guid> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var orgId in _orgs.Reader.ReadAllAsync(ct))
        {
            _waiting.TryRemove(orgId, out _);
            yield return orgId;
        }
    }
}
