using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Routing;
using static ElectisSpace.Core.Routing.Route;

namespace ElectisSpace.Core.Spaces;

public static class SpacesRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        Get("spaces", "Spaces_List", SpacesHandlers.List) with
        {
            Tag = "Spaces", Permission = Permission.SpacesRead, Response = typeof(SpaceDto), Paged = true, Errors = [ErrorCodes.Validation],
            Summary = "List spaces (desks/rooms) with their occupant.",
            Query = [.. PageParams, CursorParam, new("search", "string", "Matches externalId, labelCode or any data value (contains, case-insensitive)."),
                new("hasLabel", "boolean", "Only spaces with (true) or without (false) a label."),
                new("syncStatus", "string", "Filter by sync status.", [.. EnumNames.All<SyncStatus>()]),
                new("sort", "string", "externalId, labelCode, syncStatus, createdAt or updatedAt; prefix - for descending.")],
        },
        Post("spaces", "Spaces_Create", SpacesHandlers.Create) with
        {
            Tag = "Spaces", Permission = Permission.SpacesWrite, Request = typeof(CreateSpaceRequest), Response = typeof(SpaceDto), SuccessStatus = 201,
            Errors = [ErrorCodes.Validation, ErrorCodes.Conflict], Summary = "Create a space; its AIMS article is queued.",
        },
        Post("spaces/import", "Spaces_Import", SpacesHandlers.Import) with
        {
            Tag = "Spaces", Permission = Permission.SpacesWrite, RequestContentType = "text/csv", Response = typeof(ImportResult),
            Errors = [ErrorCodes.Validation, ErrorCodes.PayloadTooLarge, ErrorCodes.UnsupportedMediaType, ErrorCodes.Conflict],
            Summary = "Import spaces from CSV (text/csv or multipart field 'file'); upserts by externalId.",
            Query = [new("mode", "string", "all-or-nothing (default): any bad row rejects the file; partial: good rows are saved.", ["all-or-nothing", "partial"])],
        },
        Get("spaces/{id:guid}", "Spaces_Get", WithId(SpacesHandlers.Get)) with
            { Tag = "Spaces", Permission = Permission.SpacesRead, Response = typeof(SpaceDto), Errors = [ErrorCodes.NotFound], Summary = "One space." },
        Patch("spaces/{id:guid}", "Spaces_Update", WithId(SpacesHandlers.Update)) with
        {
            Tag = "Spaces", Permission = Permission.SpacesWrite, Request = typeof(UpdateSpaceRequest), Response = typeof(SpaceDto),
            Errors = [ErrorCodes.Validation, ErrorCodes.NotFound, ErrorCodes.Conflict],
            Summary = "Change label, template or data (merged). Send If-Match: \"<version>\" (or version) to refuse stale edits with 409.",
        },
        Delete("spaces/{id:guid}", "Spaces_Delete", WithId(SpacesHandlers.Delete)) with
        {
            Tag = "Spaces", Permission = Permission.SpacesWrite, SuccessStatus = 204, Errors = [ErrorCodes.NotFound, ErrorCodes.Conflict],
            Summary = "Delete a space; its occupant gets a POOL id, its label is unlinked.",
        },
        Post("spaces/{id:guid}/assign-label", "Spaces_AssignLabel", WithId(SpacesHandlers.AssignLabel)) with
        {
            Tag = "Spaces", Permission = Permission.SpacesWrite, Request = typeof(AssignLabelRequest), Response = typeof(SpaceDto),
            Errors = [ErrorCodes.Validation, ErrorCodes.NotFound, ErrorCodes.Conflict],
            Summary = "Put a label on the space (409 if another space or room has it).",
        },
    ];
}
