using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using static ElectisSpace.Core.Routing.Route;

namespace ElectisSpace.Core.Conference;

public static class ConferenceRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Get("conference", "Conference_List", ConferenceHandlers.List) with
        {
            Tag = "Conference", Permission = Permission.ConferenceRead, Response = typeof(ConferenceRoomDto), Paged = true, Errors = [ErrorCodes.Validation],
            Summary = "List conference rooms.",
            Query = [.. PageParams, new("search", "string", "Matches externalId, room or meeting name."),
                new("hasMeeting", "boolean", "Only rooms in (true) or out of (false) a meeting."),
                new("hasLabel", "boolean", "Only rooms with (true) or without (false) a label."),
                new("sort", "string", "externalId, roomName, hasMeeting, syncStatus, createdAt or updatedAt; prefix - for descending.")],
        },
        Post("conference", "Conference_Create", ConferenceHandlers.Create) with
        {
            Tag = "Conference", Permission = Permission.ConferenceWrite, Request = typeof(CreateConferenceRoomRequest), Response = typeof(ConferenceRoomDto),
            SuccessStatus = 201, Errors = [ErrorCodes.Validation, ErrorCodes.Conflict], Summary = "Create a conference room.",
        },
        Get("conference/{id:guid}", "Conference_Get", WithId(ConferenceHandlers.Get)) with
            { Tag = "Conference", Permission = Permission.ConferenceRead, Response = typeof(ConferenceRoomDto), Errors = [ErrorCodes.NotFound], Summary = "One room." },
        Patch("conference/{id:guid}", "Conference_Update", WithId(ConferenceHandlers.Update)) with
        {
            Tag = "Conference", Permission = Permission.ConferenceWrite, Request = typeof(UpdateConferenceRoomRequest), Response = typeof(ConferenceRoomDto),
            Errors = [ErrorCodes.Validation, ErrorCodes.NotFound, ErrorCodes.Conflict],
            Summary = "Rename or relabel. Send If-Match: \"<version>\" (or version) to refuse stale edits with 409.",
        },
        Delete("conference/{id:guid}", "Conference_Delete", WithId(ConferenceHandlers.Delete)) with
            { Tag = "Conference", Permission = Permission.ConferenceWrite, SuccessStatus = 204, Errors = [ErrorCodes.NotFound], Summary = "Delete a room." },
        Post("conference/{id:guid}/toggle", "Conference_Toggle", WithId(ConferenceHandlers.Toggle)) with
        {
            Tag = "Conference", Permission = Permission.ConferenceWrite, Request = typeof(ToggleMeetingRequest), Response = typeof(ConferenceRoomDto),
            Errors = [ErrorCodes.Validation, ErrorCodes.NotFound],
            Summary = "Switch the meeting on (optional details) or off (details cleared); the label page follows.",
        },
        Post("conference/{id:guid}/flip-page", "Conference_FlipPage", WithId(ConferenceHandlers.FlipPage)) with
        {
            Tag = "Conference", Permission = Permission.ConferenceWrite, Request = typeof(FlipPageRequest), Response = typeof(ConferenceRoomDto),
            Errors = [ErrorCodes.Validation, ErrorCodes.NotFound, ErrorCodes.Business],
            Summary = "Show another page on the room's label (422 when the room has no label).",
        },
    ];
}
