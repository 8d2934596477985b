using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Events;

/// <summary>The Standalone host with short event timings, so heartbeats, session checks and a full buffer show up fast.</summary>
public sealed class EventsApp : TestApp
{
    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings =>
    [
        new("Events:HeartbeatMilliseconds", "300"),
        new("Events:SessionCheckMilliseconds", "200"),
        new("Events:PollMilliseconds", "50"),
        new("Events:StreamBuffer", "50"),
    ];
}
