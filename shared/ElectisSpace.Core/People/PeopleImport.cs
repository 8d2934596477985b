using ElectisSpace.Core.Auth;
using ElectisSpace.Core.Settings;
using ElectisSpace.Core.Sync;
using NpgsqlTypes;

namespace ElectisSpace.Core.People;

/// <summary>
/// POST /api/people/import: people from CSV, upserted by the key column (settings csv.people.keyColumn, else the
/// column mapped to externalId). Set-based like the spaces import: COPY into a temporary table, one upsert,
/// bulk outbox rows — 10,000 rows are a handful of round trips.
/// </summary>
public static class PeopleImport
{
    private static readonly Dictionary<string, string> BuiltIn = new()
    {
        ["externalId"] = CsvColumns.ExternalId, ["id"] = CsvColumns.ExternalId, ["employeeId"] = CsvColumns.ExternalId,
    };

    private sealed record Row(int RowNo, string? ExternalId, Dictionary<string, string> Data);

    public static Task<IResult> Handle(HttpRequest req) => Api.Run(req, async ctx =>
    {
        var upload = await CsvUpload.ReadAsync(req, ctx.Aborted);
        var orgId = ctx.User.OrgId;
        var db = ctx.Service<Db>();
        var (settings, _) = await db.ReadAsync(c => SettingsStore.LoadAsync(c, orgId), ctx.Aborted);
        var table = upload.Table;
        var mapping = settings.Csv.People;
        var columns = new Dictionary<string, string>(mapping.Columns, StringComparer.OrdinalIgnoreCase);
        if (mapping.KeyColumn is { } key)
        {
            if (!table.Headers.Contains(key, StringComparer.OrdinalIgnoreCase))
                throw ApiException.Validation($"The key column '{key}' (settings csv.people.keyColumn) is not in the file's header.");
            columns[key] = CsvColumns.ExternalId;
        }
        var targets = CsvColumns.Resolve(table.Headers, columns, BuiltIn);
        var wrong = targets.FirstOrDefault(t => t is CsvColumns.LabelCode or CsvColumns.TemplateName);
        if (wrong is not null) throw ApiException.Validation($"People have no {wrong}; map that column to externalId or data.<key>.");
        var keyed = targets.Contains(CsvColumns.ExternalId);

        var errors = new List<ImportRowError>();
        var rows = new List<Row>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in table.Records)
        {
            var data = CsvColumns.Data(targets, r.Fields);
            var id = CsvColumns.Field(targets, r.Fields, CsvColumns.ExternalId);
            string? problem = CsvColumns.CheckRow(r, table.Headers.Count, data)
                ?? (keyed && id is null ? "The key column is empty."
                : id is { Length: > 64 } ? "The key is longer than 64 characters."
                : id is not null && seen.TryGetValue(id, out var first) ? $"Key {id} is also on row {first}."
                : data.Count == 0 ? "The row has no data."
                : null);
            if (problem is not null) { errors.Add(new ImportRowError(r.Row, r.Line, null, problem)); continue; }
            if (id is not null) seen[id] = r.Row;
            rows.Add(new Row(r.Row, id, data));
        }
        ImportErrors.ThrowIfAllOrNothing(upload.Mode, errors);

        // The answer is built inside the transaction, so one kept under an Idempotency-Key is written with the commit.
        return await db.InTransactionAsync(async (c, tx) =>
        {
            var deleted = upload.ReplaceExisting ? await DeleteMissingAsync(c, tx, orgId, rows.Where(r => r.ExternalId is not null).Select(r => r.ExternalId!).ToArray()) : 0;

            await c.ExecuteAsync("CREATE TEMP TABLE import_people (row_no int, external_id text, data jsonb) ON COMMIT DROP", transaction: tx);
            await using (var copy = await c.BeginBinaryImportAsync("COPY import_people (row_no, external_id, data) FROM STDIN (FORMAT BINARY)", ctx.Aborted))
            {
                foreach (var r in rows)
                {
                    await copy.StartRowAsync(ctx.Aborted);
                    await copy.WriteAsync(r.RowNo, NpgsqlDbType.Integer, ctx.Aborted);
                    await copy.WriteAsync((object?)r.ExternalId ?? DBNull.Value, NpgsqlDbType.Text, ctx.Aborted);
                    await copy.WriteAsync(Json.Serialize(r.Data), NpgsqlDbType.Jsonb, ctx.Aborted);
                }
                await copy.CompleteAsync(ctx.Aborted);
            }

            // Lock order (PeopleAssignments): the people the file updates, in id order, before the upsert touches them;
            // new keys are inserted in key order, so two imports of overlapping files wait in one direction only.
            await c.ExecuteScalarAsync<long>("""
                SELECT count(*) FROM (SELECT p.id FROM people p JOIN import_people i ON i.external_id = p.external_id
                                      WHERE p.org_id = @orgId ORDER BY p.id FOR UPDATE OF p) locked
                """, new { orgId }, tx);

            // New people get a fresh POOL id from the sequence (a number is drawn for every row, gaps are fine);
            // existing ones (same key) keep theirs and have their data merged.
            var written = (await c.QueryAsync<(Guid Id, Guid? SpaceId, bool Inserted)>($"""
                INSERT INTO people (org_id, external_id, data, virtual_space_id)
                SELECT @orgId, external_id, data, {PoolIds.NextSql} FROM import_people ORDER BY external_id, row_no
                ON CONFLICT (org_id, external_id) WHERE external_id IS NOT NULL DO UPDATE SET
                    data = people.data || EXCLUDED.data, sync_status = 'pending', sync_error = NULL,
                    version = people.version + 1, updated_at = now()
                RETURNING id, assigned_space_id, (xmax = 0)
                """, new { orgId }, tx)).ToList();

            await Outbox.EnqueueUpsertsAsync(c, tx, orgId, EntityTypes.Person, written.Where(w => w.SpaceId is null).Select(w => w.Id).ToArray());
            await Outbox.EnqueueUpsertsAsync(c, tx, orgId, EntityTypes.Space, written.Where(w => w.SpaceId is not null).Select(w => w.SpaceId!.Value).ToArray());

            var created = written.Count(w => w.Inserted);
            var res = new ImportResult(upload.Mode, table.Records.Count, created, written.Count - created, deleted, errors.Count,
                errors.OrderBy(e => e.Row).Take(CsvUpload.MaxErrorsReported).ToList());
            await AuditLog.WriteAsync(c, tx, ctx.Audit, AuditActions.Import, EntityTypes.Person, null, null,
                new { res.Mode, res.TotalRows, res.Created, res.Updated, res.Deleted, res.Failed, upload.ReplaceExisting });
            return ApiResults.Ok(res);
        }, ctx.Aborted);
    });

    /// <summary>replaceExisting: everyone whose key is not in the file goes; their desks show empty, their POOL articles are deleted.</summary>
    private static async Task<int> DeleteMissingAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid orgId, string[] keep)
    {
        // Locked in id order first (lock order, PeopleAssignments), then deleted.
        var gone = (await c.QueryAsync<(Guid Id, Guid? SpaceId, string? Pool)>("""
            WITH doomed AS (
                SELECT id FROM people WHERE org_id = @orgId AND (external_id IS NULL OR NOT (external_id = ANY(@keep)))
                ORDER BY id FOR UPDATE)
            DELETE FROM people p USING doomed d WHERE p.org_id = @orgId AND p.id = d.id
            RETURNING p.id, p.assigned_space_id, p.virtual_space_id
            """, new { orgId, keep }, tx)).ToList();
        await Outbox.EnqueueUpsertsAsync(c, tx, orgId, EntityTypes.Space, gone.Where(g => g.SpaceId is not null).Select(g => g.SpaceId!.Value).ToArray());
        var pools = gone.Where(g => g.SpaceId is null && g.Pool is not null).ToList();
        await Outbox.EnqueueDeletesAsync(c, tx, orgId, EntityTypes.Person, pools.Select(g => g.Id).ToArray(), pools.Select(g => g.Pool!).ToArray());
        return gone.Count;
    }
}
