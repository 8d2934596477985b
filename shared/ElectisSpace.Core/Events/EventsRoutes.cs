using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using static ElectisSpace.Core.Routing.Route;

namespace ElectisSpace.Core.Events;

public static class EventsRoutes
{
    // Every role may follow its organization's changes: the permission every role has (reading spaces).
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Get("events", "Events_Stream", EventsHandlers.Stream) with
        {
            Tag = "Events", Permission = Permission.SpacesRead, AcceptsTicket = true, ResponseContentType = "text/event-stream",
            Errors = [ErrorCodes.Validation],
            Query =
            [
                new("ticket", "string", "A one-use ticket from POST /api/events/ticket, for clients that cannot send the Authorization header (browsers' EventSource)."),
                new("lastEventId", "integer", "Resume after this event id (as the Last-Event-ID header does); older than the kept window: a reset event."),
            ],
            Summary = "The organization's live updates as Server-Sent Events (text/event-stream): entity changes, sync status, sync jobs, AIMS up/down; " +
                      "each event has an id to resume from (Last-Event-ID). Heartbeat comments every 15 s. See docs/events.md.",
        },
        Post("events/ticket", "Events_Ticket", EventsHandlers.Ticket) with
        {
            Tag = "Events", Permission = Permission.SpacesRead, Response = typeof(EventTicketDto), SuccessStatus = 201,
            Summary = "A one-use ticket, valid 30 s, that opens GET /api/events?ticket=… for the caller's session (EventSource cannot send a bearer header).",
        },
    ];
}
