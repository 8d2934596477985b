using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Events;

/// <summary>/api/events: the organization's live updates as Server-Sent Events, and the tickets browsers open them with.</summary>
public static class EventsHandlers
{
    /// <summary>
    /// Opens the stream once the caller is signed in (bearer header or ticket, Api.Run): everything after Last-Event-ID
    /// (header, or ?lastEventId= for clients that cannot set it) still kept comes first, then live events.
    /// </summary>
    public static Task<IResult> Stream(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var lastEventId = LastEventId(req);
        // A bearer header wins over ?ticket=, but a ticket that could never have been issued is a bad request, not ignored.
        if (req.Query["ticket"].ToString() is { Length: > 0 } ticket && !EventTickets.IsWellFormed(ticket))
            throw ApiException.Validation("ticket is not a ticket from POST /api/events/ticket.",
                new FieldError("ticket", "must be the ticket POST /api/events/ticket returned"));
        var hub = ctx.Service<EventHub>();
        var subscriber = await hub.SubscribeAsync(ctx.User, lastEventId, ctx.Aborted);
        return new EventStreamResult(hub, subscriber, ctx.Service<Configuration.ServerSettings>().Events);
    });

    public static Task<IResult> Ticket(HttpRequest req) => Api.RunWrite(req, async ctx =>
        ApiResults.Created(await ctx.Service<EventTickets>().IssueAsync(ctx.User, ctx.Aborted)));

    private static long? LastEventId(HttpRequest req)
    {
        var raw = req.Headers["Last-Event-ID"].ToString() is { Length: > 0 } h ? h : req.Query["lastEventId"].ToString();
        if (raw.Length == 0) return null;
        return long.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id
            : throw ApiException.Validation("Last-Event-ID must be the id of an event (a whole number).",
                new FieldError("lastEventId", "must be a whole number"));
    }
}
