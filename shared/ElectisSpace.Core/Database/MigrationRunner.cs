using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace ElectisSpace.Core.Database;

/// <summary>
/// Applies the embedded plain-SQL migrations (Database/Migrations/NNNN_name.sql) in order, each in its own
/// transaction, recorded in schema_migrations. A session-level advisory lock makes concurrent starts safe:
/// the second instance waits, then finds nothing left to do.
/// </summary>
public static class MigrationRunner
{
    // Arbitrary constant identifying "electisSpace schema migrations" among advisory locks.
    private const long LockKey = 0x454C_4543_5449_5301;

    public sealed record Migration(string Version, string Name, string Sql, string Checksum);

    public static IReadOnlyList<Migration> Embedded()
    {
        var asm = typeof(MigrationRunner).Assembly;
        return asm.GetManifestResourceNames()
            .Where(n => n.Contains(".Database.Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[(n.IndexOf(".Database.Migrations.", StringComparison.Ordinal) + ".Database.Migrations.".Length)..^4];
                using var s = asm.GetManifestResourceStream(n)!;
                using var r = new StreamReader(s, Encoding.UTF8);
                var sql = r.ReadToEnd();
                var version = file.Split('_', 2)[0];
                return new Migration(version, file, sql, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sql))));
            })
            .OrderBy(m => m.Version, StringComparer.Ordinal)
            .ToList();
    }

    /// <returns>The names of the migrations applied by this call.</returns>
    public static async Task<IReadOnlyList<string>> RunAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        var applied = new List<string>();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync("SELECT pg_advisory_lock(@LockKey)", new { LockKey });
        try
        {
            await conn.ExecuteAsync("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """);
            var done = (await conn.QueryAsync<(string Version, string Checksum)>("SELECT version, checksum FROM schema_migrations"))
                .ToDictionary(r => r.Version, r => r.Checksum);
            foreach (var m in Embedded())
            {
                if (done.TryGetValue(m.Version, out var checksum))
                {
                    if (checksum != m.Checksum)
                        throw new InvalidOperationException($"Migration {m.Name} was changed after it was applied; add a new migration instead.");
                    continue;
                }
                await using var tx = await conn.BeginTransactionAsync(ct);
                await conn.ExecuteAsync(m.Sql, transaction: tx);
                await conn.ExecuteAsync("INSERT INTO schema_migrations (version, name, checksum) VALUES (@Version, @Name, @Checksum)", m, tx);
                await tx.CommitAsync(ct);
                applied.Add(m.Name);
            }
        }
        finally
        {
            await conn.ExecuteAsync("SELECT pg_advisory_unlock(@LockKey)", new { LockKey });
        }
        return applied;
    }
}
