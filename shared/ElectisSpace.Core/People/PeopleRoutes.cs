using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using static ElectisSpace.Core.Routing.Route;

namespace ElectisSpace.Core.People;

public static class PeopleRoutes
{
    private static readonly QueryParam[] Filters =
    [
        new("search", "string", "Matches externalId, POOL id or any data value (contains, case-insensitive)."),
        new("assigned", "boolean", "Only people with (true) or without (false) a space."),
        new("listId", "string", "Only members of this people list (UUID)."),
        new("sort", "string", "name, externalId, virtualSpaceId, syncStatus, createdAt or updatedAt; prefix - for descending."),
    ];

    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Get("people", "People_List", PeopleHandlers.List) with
        {
            Tag = "People", Permission = Permission.PeopleRead, Response = typeof(PersonDto), Paged = true, Errors = [ErrorCodes.Validation],
            Summary = "List people with where they sit.",
            Query = [.. PageParams, CursorParam, .. Filters],
        },
        Get("people/export", "People_Export", PeopleHandlers.Export) with
        {
            Tag = "People", Permission = Permission.PeopleRead, Response = typeof(PersonDto[]), Errors = [ErrorCodes.Validation],
            Summary = "Every person the filters select, in one streamed JSON array (same filters and order as the list; no paging).",
            Query = Filters,
        },
        Post("people", "People_Create", PeopleHandlers.Create) with
        {
            Tag = "People", Permission = Permission.PeopleWrite, Request = typeof(CreatePersonRequest), Response = typeof(PersonDto), SuccessStatus = 201,
            Errors = [ErrorCodes.Validation, ErrorCodes.Conflict], Summary = "Create a person (unassigned, with a POOL id).",
        },
        Post("people/import", "People_Import", PeopleHandlers.Import) with
        {
            Tag = "People", Permission = Permission.PeopleWrite, RequestContentType = "text/csv", Response = typeof(ImportResult),
            Errors = [ErrorCodes.Validation, ErrorCodes.PayloadTooLarge, ErrorCodes.UnsupportedMediaType],
            Summary = "Import people from CSV (text/csv or multipart field 'file'); upserts by the configured key column.",
            Query = [new("mode", "string", "all-or-nothing (default) or partial.", ["all-or-nothing", "partial"]),
                new("replaceExisting", "boolean", "Delete every person not in the file first (default false).")],
        },
        Get("people/lists", "PeopleLists_List", PeopleListsHandlers.List) with
        {
            Tag = "People lists", Permission = Permission.PeopleRead, Response = typeof(PeopleListDto), Paged = true, Errors = [ErrorCodes.Validation],
            Summary = "Saved people lists with their entry counts.",
            Query = [.. PageParams, new("search", "string", "Matches the name."), new("sort", "string", "name, createdAt or updatedAt; prefix - for descending.")],
        },
        Post("people/lists", "PeopleLists_Create", PeopleListsHandlers.Create) with
        {
            Tag = "People lists", Permission = Permission.PeopleWrite, Request = typeof(CreatePeopleListRequest), Response = typeof(PeopleListDto),
            SuccessStatus = 201, Errors = [ErrorCodes.Validation, ErrorCodes.Conflict],
            Summary = "Save the current assignments of the given people (all people when peopleIds is omitted).",
        },
        Get("people/lists/{id:guid}", "PeopleLists_Get", WithId(PeopleListsHandlers.Get)) with
            { Tag = "People lists", Permission = Permission.PeopleRead, Response = typeof(PeopleListDto), Errors = [ErrorCodes.NotFound], Summary = "One list with its entries." },
        Patch("people/lists/{id:guid}", "PeopleLists_Update", WithId(PeopleListsHandlers.Update)) with
        {
            Tag = "People lists", Permission = Permission.PeopleWrite, Request = typeof(UpdatePeopleListRequest), Response = typeof(PeopleListDto),
            Errors = [ErrorCodes.Validation, ErrorCodes.NotFound, ErrorCodes.Conflict], Summary = "Rename, or re-snapshot with peopleIds.",
        },
        Delete("people/lists/{id:guid}", "PeopleLists_Delete", WithId(PeopleListsHandlers.Delete)) with
            { Tag = "People lists", Permission = Permission.PeopleWrite, SuccessStatus = 204, Errors = [ErrorCodes.NotFound], Summary = "Delete a list." },
        Post("people/lists/{id:guid}/load", "PeopleLists_Load", WithId(PeopleListsHandlers.Load)) with
        {
            Tag = "People lists", Permission = Permission.PeopleWrite, Response = typeof(PeopleListLoadResult), Errors = [ErrorCodes.NotFound],
            Summary = "Make the list's assignments current (everyone else is unassigned); stale entries are reported.",
        },
        Get("people/{id:guid}", "People_Get", WithId(PeopleHandlers.Get)) with
            { Tag = "People", Permission = Permission.PeopleRead, Response = typeof(PersonDto), Errors = [ErrorCodes.NotFound], Summary = "One person." },
        Patch("people/{id:guid}", "People_Update", WithId(PeopleHandlers.Update)) with
        {
            Tag = "People", Permission = Permission.PeopleWrite, Request = typeof(UpdatePersonRequest), Response = typeof(PersonDto),
            Errors = [ErrorCodes.Validation, ErrorCodes.NotFound, ErrorCodes.Conflict],
            Summary = "Change externalId or data (merged). Send If-Match: \"<version>\" (or version) to refuse stale edits with 409.",
        },
        Delete("people/{id:guid}", "People_Delete", WithId(PeopleHandlers.Delete)) with
            { Tag = "People", Permission = Permission.PeopleWrite, SuccessStatus = 204, Errors = [ErrorCodes.NotFound], Summary = "Delete a person." },
        Post("people/{id:guid}/assign", "People_Assign", WithId(PeopleHandlers.Assign)) with
        {
            Tag = "People", Permission = Permission.PeopleWrite, Request = typeof(AssignPersonRequest), Response = typeof(PersonDto),
            Errors = [ErrorCodes.Validation, ErrorCodes.NotFound, ErrorCodes.Conflict],
            Summary = "Seat the person in a space (409 if someone else sits there); their POOL id is released.",
        },
        Delete("people/{id:guid}/unassign", "People_Unassign", WithId(PeopleHandlers.Unassign)) with
        {
            Tag = "People", Permission = Permission.PeopleWrite, Response = typeof(PersonDto), Errors = [ErrorCodes.NotFound, ErrorCodes.Business],
            Summary = "Take the person out of their space; they get a POOL id back.",
        },
    ];
}
