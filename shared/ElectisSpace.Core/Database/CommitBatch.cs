using System.Runtime.CompilerServices;

namespace ElectisSpace.Core.Database;

/// <summary>
/// Rows a transaction writes for the record — outbox jobs and audit entries — kept until the commit and sent with it:
/// one multi-row INSERT per table and the COMMIT in a single round trip, instead of a round trip per row. Issue 18
/// measured write transactions waiting between statements (a create made five round trips); nothing reads these rows
/// inside the transaction that writes them, so writing them last changes nothing that transaction does or commits,
/// and a failing row still fails (and rolls back) the whole transaction.
/// </summary>
public sealed class CommitBatch
{
    // Keyed by the transaction the repositories already receive, so no call site changes. Npgsql reuses a connector's
    // transaction object, hence the entry is removed when the transaction ends (Db.InTransactionAsync).
    private static readonly ConditionalWeakTable<NpgsqlTransaction, CommitBatch> Open = new();
    private readonly List<ICommitRows> _parts = [];

    /// <summary>The batch of a transaction run by <see cref="Db.InTransactionAsync{T}"/>; null for any other (then write at once).</summary>
    public static CommitBatch? Of(NpgsqlTransaction? tx) => tx is not null && Open.TryGetValue(tx, out var batch) ? batch : null;

    /// <summary>This transaction's rows of one kind, if any were kept.</summary>
    public T? Find<T>() where T : class, ICommitRows => _parts.OfType<T>().FirstOrDefault();

    /// <summary>This transaction's rows of one kind (one table), created on first use; parts are written in that order.</summary>
    public T Rows<T>() where T : class, ICommitRows, new()
    {
        if (Find<T>() is { } rows) return rows;
        var added = new T();
        _parts.Add(added);
        return added;
    }

    internal static CommitBatch Begin(NpgsqlTransaction tx)
    {
        var batch = new CommitBatch();
        Open.AddOrUpdate(tx, batch);
        return batch;
    }

    internal static void End(NpgsqlTransaction tx) => Open.Remove(tx);

    /// <summary>
    /// Writes the kept rows and commits, in one round trip. The COMMIT is a statement of the batch, so Npgsql sees the
    /// transaction end from the server's answer (the transaction object then counts as completed and is not rolled back
    /// on dispose); if any row fails, PostgreSQL skips the rest of the batch, COMMIT included, and disposing rolls back.
    /// A first statement (the request's sign-in check, which aborts the batch when it refuses) goes before the rows.
    /// </summary>
    internal async Task CommitAsync(NpgsqlConnection conn, NpgsqlTransaction tx, NpgsqlBatchCommand? first, CancellationToken ct)
    {
        var commands = _parts.Select(p => p.ToCommand()).Prepend(first).OfType<NpgsqlBatchCommand>().ToList();
        if (commands.Count == 0)
        {
            await tx.CommitAsync(ct);
            return;
        }
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var command in commands) batch.BatchCommands.Add(command);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>Rows of one table kept for the commit; ToCommand is one INSERT of all of them (null when there are none).</summary>
public interface ICommitRows
{
    NpgsqlBatchCommand? ToCommand();
}

public static class CommitRows
{
    /// <summary>
    /// Adds rows to the transaction's commit batch, or — for a transaction not run by Db (a caller's own) — writes them
    /// at once with the same statement, so both paths share one INSERT.
    /// </summary>
    public static async Task AddAsync<T>(NpgsqlConnection conn, NpgsqlTransaction? tx, Action<T> add) where T : class, ICommitRows, new()
    {
        if (CommitBatch.Of(tx) is { } batch)
        {
            add(batch.Rows<T>());
            return;
        }
        var rows = new T();
        add(rows);
        if (rows.ToCommand() is not { } command) return;
        await using var single = new NpgsqlBatch(conn, tx);
        single.BatchCommands.Add(command);
        await single.ExecuteNonQueryAsync();
    }
}
