using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Settings;
using ElectisSpace.Core.Sync;
using NpgsqlTypes;

namespace ElectisSpace.Core.Spaces;

/// <summary>
/// POST /api/spaces/import: upsert spaces by externalId from CSV. Set-based: rows are COPYed into a temporary table
/// and written with one upsert, so a large file is a handful of round trips, not one per row.
/// </summary>
public static class SpacesImport
{
    private static readonly Dictionary<string, string> BuiltIn = new()
    {
        ["externalId"] = CsvColumns.ExternalId, ["id"] = CsvColumns.ExternalId, ["articleId"] = CsvColumns.ExternalId, ["ARTICLE_ID"] = CsvColumns.ExternalId,
        ["labelCode"] = CsvColumns.LabelCode, ["label"] = CsvColumns.LabelCode, ["templateName"] = CsvColumns.TemplateName, ["template"] = CsvColumns.TemplateName,
    };

    private sealed record Row(int RowNo, string ExternalId, string? Label, string? Template, Dictionary<string, string> Data);

    public static Task<IResult> Handle(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var upload = await CsvUpload.ReadAsync(req, ctx.Aborted);
        var orgId = ctx.User.OrgId;
        var db = ctx.Service<Db>();
        var (settings, _) = await db.ReadAsync(c => SettingsStore.LoadAsync(c, orgId), ctx.Aborted);
        var table = upload.Table;
        var targets = CsvColumns.Resolve(table.Headers, settings.Csv.Spaces.Columns, BuiltIn);
        if (!targets.Contains(CsvColumns.ExternalId))
            throw ApiException.Validation("No column gives the space's externalId (name it externalId, or map it in settings csv.spaces.columns).");
        var hasLabel = targets.Contains(CsvColumns.LabelCode);
        var hasTemplate = targets.Contains(CsvColumns.TemplateName);

        var errors = new List<ImportRowError>();
        var rows = new List<Row>();
        var seenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var seenLabels = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in table.Records)
        {
            var data = CsvColumns.Data(targets, r.Fields);
            var id = CsvColumns.Field(targets, r.Fields, CsvColumns.ExternalId);
            var label = CsvColumns.Field(targets, r.Fields, CsvColumns.LabelCode);
            var template = CsvColumns.Field(targets, r.Fields, CsvColumns.TemplateName);
            string? problem = CsvColumns.CheckRow(r, table.Headers.Count, data)
                ?? (id is null ? "externalId is empty."
                : !Identifiers.ExternalId().IsMatch(id) ? "externalId must be 1-64 letters, digits, '-' or '_'."
                : label is not null && !Identifiers.LabelCode().IsMatch(label) ? "labelCode is not a valid label code."
                : template is { Length: > 100 } ? "templateName is longer than 100 characters."
                : seenIds.TryGetValue(id, out var first) ? $"externalId {id} is also on row {first}."
                : label is not null && seenLabels.TryGetValue(label, out var firstL) ? $"labelCode {label} is also on row {firstL}."
                : null);
            if (problem is not null) { errors.Add(new ImportRowError(r.Row, r.Line, null, problem)); continue; }
            seenIds[id!] = r.Row;
            if (label is not null) seenLabels[label] = r.Row;
            rows.Add(new Row(r.Row, id!, label, template, data));
        }
        ImportErrors.ThrowIfAllOrNothing(upload.Mode, errors);

        // The answer is built inside the transaction, so one kept under an Idempotency-Key is written with the commit.
        return await db.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("""
                CREATE TEMP TABLE import_spaces (row_no int, external_id text, label_code text, template_name text, data jsonb) ON COMMIT DROP
                """, transaction: tx);
            await using (var copy = await c.BeginBinaryImportAsync(
                "COPY import_spaces (row_no, external_id, label_code, template_name, data) FROM STDIN (FORMAT BINARY)", ctx.Aborted))
            {
                foreach (var r in rows)
                {
                    await copy.StartRowAsync(ctx.Aborted);
                    await copy.WriteAsync(r.RowNo, NpgsqlDbType.Integer, ctx.Aborted);
                    await copy.WriteAsync(r.ExternalId, NpgsqlDbType.Text, ctx.Aborted);
                    await copy.WriteAsync((object?)r.Label ?? DBNull.Value, NpgsqlDbType.Text, ctx.Aborted);
                    await copy.WriteAsync((object?)r.Template ?? DBNull.Value, NpgsqlDbType.Text, ctx.Aborted);
                    await copy.WriteAsync(Json.Serialize(r.Data), NpgsqlDbType.Jsonb, ctx.Aborted);
                }
                await copy.CompleteAsync(ctx.Aborted);
            }

            // Labels held by a different space or a conference room: those rows fail (the whole file in all-or-nothing).
            var taken = (await c.QueryAsync<(int RowNo, string Label)>("""
                SELECT i.row_no, i.label_code FROM import_spaces i
                JOIN label_assignments la ON la.org_id = @orgId AND la.label_code = i.label_code
                LEFT JOIN spaces s ON s.org_id = @orgId AND s.external_id = i.external_id
                WHERE la.entity_id IS DISTINCT FROM s.id
                """, new { orgId }, tx)).ToList();
            var byRow = table.Records.ToDictionary(r => r.Row);
            foreach (var (rowNo, label) in taken)
                errors.Add(new ImportRowError(rowNo, byRow[rowNo].Line, "labelCode", $"Label {label} is already on another space or conference room."));
            ImportErrors.ThrowIfAllOrNothing(upload.Mode, errors);
            if (taken.Count > 0)
                await c.ExecuteAsync("DELETE FROM import_spaces WHERE row_no = ANY(@rows)", new { rows = taken.Select(t => t.RowNo).ToArray() }, tx);

            // Lock order (People.PeopleAssignments): existing spaces in id order, new ones inserted in key order, then labels.
            var before = (await c.QueryAsync<(Guid Id, string ExternalId, string? Label)>("""
                SELECT s.id, s.external_id, s.label_code FROM spaces s JOIN import_spaces i ON i.external_id = s.external_id
                WHERE s.org_id = @orgId ORDER BY s.id FOR UPDATE OF s
                """, new { orgId }, tx)).ToDictionary(b => b.ExternalId);

            var written = (await c.QueryAsync<(Guid Id, string ExternalId, string? Label, string? Template, bool Inserted)>("""
                INSERT INTO spaces (org_id, external_id, label_code, template_name, data)
                SELECT @orgId, external_id, label_code, template_name, data FROM import_spaces ORDER BY external_id
                ON CONFLICT (org_id, external_id) DO UPDATE SET
                    label_code = CASE WHEN @hasLabel THEN EXCLUDED.label_code ELSE spaces.label_code END,
                    template_name = CASE WHEN @hasTemplate THEN EXCLUDED.template_name ELSE spaces.template_name END,
                    data = spaces.data || EXCLUDED.data, sync_status = 'pending', sync_error = NULL,
                    version = spaces.version + 1, updated_at = now()
                RETURNING id, external_id, label_code, template_name, (xmax = 0)
                """, new { orgId, hasLabel, hasTemplate }, tx)).ToList();

            // Keep label_assignments in step: release labels the file moved away, claim the new ones (a race is a 409).
            await c.ExecuteAsync("""
                DELETE FROM label_assignments la USING spaces s, import_spaces i
                WHERE la.org_id = @orgId AND la.entity_type = 'space' AND la.entity_id = s.id
                  AND s.org_id = @orgId AND s.external_id = i.external_id AND la.label_code IS DISTINCT FROM s.label_code
                """, new { orgId }, tx);
            await c.ExecuteAsync("""
                INSERT INTO label_assignments (org_id, label_code, entity_type, entity_id)
                SELECT @orgId, s.label_code, 'space', s.id FROM spaces s JOIN import_spaces i ON i.external_id = s.external_id
                WHERE s.org_id = @orgId AND s.label_code IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM label_assignments la WHERE la.org_id = @orgId AND la.label_code = s.label_code AND la.entity_id = s.id)
                ORDER BY s.label_code
                """, new { orgId }, tx);

            await Outbox.EnqueueUpsertsAsync(c, tx, orgId, EntityTypes.Space, written.Select(w => w.Id).ToArray());
            var unlinks = new List<(Guid, object)>();
            var links = new List<(Guid, object)>();
            foreach (var w in written)
            {
                var old = before.TryGetValue(w.ExternalId, out var b) ? b.Label : null;
                if (old == w.Label) continue;
                if (old is not null) unlinks.Add((w.Id, new { labelCode = old }));
                if (w.Label is not null) links.Add((w.Id, new { labelCode = w.Label, articleId = w.ExternalId, templateName = w.Template }));
            }
            await Outbox.EnqueueManyAsync(c, tx, orgId, EntityTypes.Space, SyncJobs.UnlinkLabel, unlinks);
            await Outbox.EnqueueManyAsync(c, tx, orgId, EntityTypes.Space, SyncJobs.LinkLabel, links);

            var created = written.Count(w => w.Inserted);
            var res = new ImportResult(upload.Mode, table.Records.Count, created, written.Count - created, 0, errors.Count,
                errors.OrderBy(e => e.Row).Take(CsvUpload.MaxErrorsReported).ToList());
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Import, EntityTypes.Space, null, null,
                new { res.Mode, res.TotalRows, res.Created, res.Updated, res.Failed });
            return ApiResults.Ok(res);
        }, ctx.Aborted);
    });
}
