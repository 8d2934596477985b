namespace ElectisSpace.Core.Formats;

/// <summary>
/// A 200 answer whose body is a JSON array written while the rows are read: each row is serialized as it arrives and
/// flushed in ~32 KiB chunks, so memory stays bounded however many rows there are. Input is validated before this
/// runs; once the first byte is sent a failure can only end the response early (the client sees a truncated array).
/// </summary>
public static class JsonArrayStream
{
    private const int FlushBytes = 32 * 1024;

    public static IResult Result<TRow, TDto>(Db db, Func<NpgsqlConnection, IAsyncEnumerable<TRow>> rows, Func<TRow, TDto> map) =>
        new StreamResult<TRow, TDto>(db, rows, map);

    private sealed class StreamResult<TRow, TDto>(Db db, Func<NpgsqlConnection, IAsyncEnumerable<TRow>> rows, Func<TRow, TDto> map) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var ct = http.RequestAborted;
            await using var conn = await db.DataSource.OpenConnectionAsync(ct);
            var response = http.Response;
            response.StatusCode = 200;
            response.ContentType = "application/json; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            // Over the response's PipeWriter: the serializer's own flushes only hand bytes to the pipe (never a
            // synchronous socket write), and the pipe goes out in chunks.
            var pipe = response.BodyWriter;
            await using var writer = new Utf8JsonWriter(pipe);
            long sent = 0;
            writer.WriteStartArray();
            await foreach (var row in rows(conn).WithCancellation(ct))
            {
                JsonSerializer.Serialize(writer, map(row), Json.Options);
                if (writer.BytesCommitted - sent < FlushBytes) continue;
                sent = writer.BytesCommitted;
                await pipe.FlushAsync(ct);
            }
            writer.WriteEndArray();
            await writer.FlushAsync(ct);
            await pipe.FlushAsync(ct);
        }
    }
}
