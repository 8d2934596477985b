using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace ElectisSpace.Tests.Infrastructure;

/// <summary>Shorthands for the domain tests: create entities through the API, and look at rows the API does not show (outbox, audit).</summary>
public static class DomainApi
{
    public static async Task<JsonElement> CreateSpaceAsync(this HttpClient c, string externalId, string? labelCode = null, object? data = null) =>
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/spaces", new { externalId, labelCode, data = data ?? new { roomName = "Room " + externalId } }), HttpStatusCode.Created);

    public static async Task<JsonElement> CreatePersonAsync(this HttpClient c, string name, string? externalId = null) =>
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/people", new { externalId, data = new { name, department = "R&D" } }), HttpStatusCode.Created);

    public static async Task<JsonElement> CreateRoomAsync(this HttpClient c, string externalId, string? labelCode = null) =>
        await HttpAssert.Status(await c.PostAsJsonAsync("/api/conference", new { externalId, roomName = "Room " + externalId, labelCode }), HttpStatusCode.Created);

    /// <summary>Seats the person on the space (POST /api/people/{id}/assign, 200).</summary>
    public static async Task<JsonElement> AssignAsync(this HttpClient c, Guid personId, Guid spaceId) =>
        await HttpAssert.Status(await c.PostAsJsonAsync($"/api/people/{personId}/assign", new { spaceId }), HttpStatusCode.OK);

    public static Guid Id(this JsonElement e) => e.GetProperty("id").GetGuid();
    public static string? Str(this JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetString();

    public static async Task<long> CountAsync(this TestApp app, string sql, object? args = null)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        return await conn.ExecuteScalarAsync<long>(sql, args);
    }

    public static async Task ExecAsync(this TestApp app, string sql, object? args = null)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        await conn.ExecuteAsync(sql, args);
    }

    /// <summary>Outbox rows (action, payload text) for one entity, oldest first.</summary>
    public static async Task<List<(string Action, string Payload)>> OutboxAsync(this TestApp app, Guid orgId, Guid entityId)
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        return (await conn.QueryAsync<(string, string)>(
            "SELECT action, payload::text FROM sync_queue WHERE org_id = @orgId AND entity_id = @entityId ORDER BY seq",
            new { orgId, entityId })).ToList();
    }
}
