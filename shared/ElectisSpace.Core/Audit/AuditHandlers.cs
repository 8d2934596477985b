using System.Globalization;
using CsvHelper;
using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Audit;

public sealed record AuditEntryDto(Guid Id, Guid? UserId, string? UserEmail, string Action, string EntityType, string? EntityId,
    JsonElement? OldData, JsonElement? NewData, string? IpAddress, string? UserAgent, DateTimeOffset CreatedAt);

/// <summary>/api/audit: the organization's audit trail (admin), filtered and paginated, and its CSV export.</summary>
public static class AuditHandlers
{
    private const int MaxExportRows = 100_000;

    private sealed record Filter(Guid OrgId, Guid? UserId, string? Action, string? EntityType, string? EntityId,
        DateTimeOffset? From, DateTimeOffset? To);

    /// <summary>The filters as a WHERE of fixed fragments (see SqlWhere), so each combination plans on its index.</summary>
    private static SqlWhere Where(Filter f) => new SqlWhere("a.org_id = @orgId", f.OrgId)
        .And("a.user_id = @userId", "userId", f.UserId)
        .And("a.action = @action", "action", f.Action)
        .And("a.entity_type = @entityType", "entityType", f.EntityType)
        .And("a.entity_id = @entityId", "entityId", f.EntityId)
        .And("a.created_at >= @from", "from", f.From)
        .And("a.created_at <= @to", "to", f.To);

    private const string Select = """
        SELECT a.id AS Id, a.user_id AS UserId, u.email AS UserEmail, a.action AS Action, a.entity_type AS EntityType,
               a.entity_id AS EntityId, a.old_data::text AS OldData, a.new_data::text AS NewData,
               a.ip_address AS IpAddress, a.user_agent AS UserAgent, a.created_at AS CreatedAt
        FROM audit_logs a LEFT JOIN users u ON u.id = a.user_id
        """;

    // A class, not a positional record: Dapper binds constructors by exact type, and Npgsql reads timestamptz as DateTime.
    private sealed class Row
    {
        public Guid Id { get; init; }
        public Guid? UserId { get; init; }
        public string? UserEmail { get; init; }
        public string Action { get; init; } = "";
        public string EntityType { get; init; } = "";
        public string? EntityId { get; init; }
        public string? OldData { get; init; }
        public string? NewData { get; init; }
        public string? IpAddress { get; init; }
        public string? UserAgent { get; init; }
        public DateTimeOffset CreatedAt { get; init; }

        public AuditEntryDto ToDto() => new(Id, UserId, UserEmail, Action, EntityType, EntityId,
            OldData is null ? null : JsonDocument.Parse(OldData).RootElement.Clone(),
            NewData is null ? null : JsonDocument.Parse(NewData).RootElement.Clone(), IpAddress, UserAgent, CreatedAt);
    }

    public static Task<IResult> List(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var page = PageRequest.From(req, defaultLimit: 50, maxLimit: 100);
        var f = ReadFilter(ctx);
        var (rows, total) = await ctx.Service<Db>().ReadAsync(async c =>
        {
            var where = Where(f);
            return await ListPage.ReadAsync<Row>(c, $"{Select} {where} ORDER BY a.created_at DESC, a.id {page.LimitSql(where.Parameters)}",
                $"SELECT count(*) FROM audit_logs a {where}", where.Parameters);
        }, ctx.Aborted);
        return ApiResults.Page(rows.Select(r => r.ToDto()).ToList(), page, total);
    });

    /// <summary>The same filters as the list, as a CSV download (newest first, capped).</summary>
    public static Task<IResult> Export(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var f = ReadFilter(ctx);
        var rows = await ctx.Service<Db>().ReadAsync(async c =>
        {
            var where = Where(f);
            where.Parameters.Add("Limit", MaxExportRows);
            return (await c.QueryAsync<Row>($"{Select} {where} ORDER BY a.created_at DESC, a.id LIMIT @Limit", where.Parameters)).ToList();
        }, ctx.Aborted);

        var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(text, new CsvWriterOptions(), leaveOpen: true))
        {
            string?[] header = ["createdAt", "userId", "userEmail", "action", "entityType", "entityId", "oldData", "newData", "ipAddress", "userAgent"];
            WriteRecord(csv, header);
            foreach (var r in rows)
                WriteRecord(csv, [r.CreatedAt.UtcDateTime.ToString("o"), r.UserId?.ToString(), r.UserEmail, r.Action, r.EntityType,
                    r.EntityId, r.OldData, r.NewData, r.IpAddress, r.UserAgent]);
            csv.Flush();
        }
        return Results.File(System.Text.Encoding.UTF8.GetBytes(text.ToString()), "text/csv; charset=utf-8",
            $"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv");
    });

    private static void WriteRecord(CsvWriter csv, string?[] fields)
    {
        foreach (var f in fields) csv.WriteField(CsvCells.Safe(f));
        csv.EndRecord();
    }

    private static Filter ReadFilter(RequestContext ctx)
    {
        var req = ctx.Request;
        var from = Query.Date(req, "from");
        var to = Query.Date(req, "to");
        if (from > to) throw ApiException.Validation("from must not be after to.", new FieldError("from", "from is after to."));
        return new Filter(ctx.User.OrgId, Query.Guid(req, "userId"), Query.String(req, "action", 50),
            Query.String(req, "entityType", 50), Query.String(req, "entityId", 100), from, to);
    }
}
