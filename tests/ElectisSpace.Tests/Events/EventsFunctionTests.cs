using ElectisSpace.Functions;
using ElectisSpace.Tests.Functions;
using ElectisSpace.Tests.Infrastructure;

namespace ElectisSpace.Tests.Events;

/// <summary>The Functions triggers of /api/events, called as the worker calls them, with the Functions app's own container.</summary>
public sealed class EventsFunctionTests(FunctionsAppFixture app) : IClassFixture<FunctionsAppFixture>
{
    private IServiceProvider Fn => app.Functions.Services;

    [Fact]
    public async Task The_stream_trigger_streams_events_through_the_Functions_composition_root()
    {
        var org = await app.CreateOrgAsync();
        var space = await org.Admin.CreateSpaceAsync("FN" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant());

        // Resume from the beginning: the change made above comes first; the client then goes away.
        using var gone = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var answer = await DirectCall.InvokeAsync(Fn, "GET", "/api/events?lastEventId=0", EventsFunctions.Stream, org.AdminToken,
            configure: ctx => ctx.RequestAborted = gone.Token);
        Assert.Equal(200, answer.Status);
        Assert.StartsWith("text/event-stream", answer.Headers.ContentType.ToString());
        Assert.Contains("event: space:created", answer.Body);
        Assert.Contains(space.Id().ToString(), answer.Body);

        // The ticket trigger issues a ticket the stream trigger takes instead of the header.
        var ticket = await DirectCall.InvokeAsync(Fn, "POST", "/api/events/ticket", EventsFunctions.Ticket, org.AdminToken);
        Assert.Equal(201, ticket.Status);
        using var gone2 = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var viaTicket = await DirectCall.InvokeAsync(Fn, "GET", $"/api/events?lastEventId=0&ticket={Uri.EscapeDataString(ticket.Json.GetProperty("ticket").GetString()!)}",
            EventsFunctions.Stream, configure: ctx => ctx.RequestAborted = gone2.Token);
        Assert.Equal(200, viaTicket.Status);
        Assert.Contains(space.Id().ToString(), viaTicket.Body);
        // Without either: the envelope.
        var refused = await DirectCall.InvokeAsync(Fn, "GET", "/api/events", EventsFunctions.Stream);
        Assert.Equal(401, refused.Status);
    }
}
