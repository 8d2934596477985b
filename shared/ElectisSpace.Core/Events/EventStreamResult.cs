using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace ElectisSpace.Core.Events;

/// <summary>
/// Writes one subscriber's events as text/event-stream until the client goes, its session ends, it falls behind its
/// buffer, or the stream's lifetime (Events:MaxStreamSeconds) is up. Both hosts execute it against the real response
/// (Kestrel; on Functions the worker's ASP.NET Core integration, whose host forwards the response as it is written).
/// Every ending the server chooses is told with a last event: <c>end</c> (session ended, or time to reconnect) or
/// <c>lagged</c> (reconnect with Last-Event-ID and lose nothing kept).
/// </summary>
public sealed class EventStreamResult(EventHub hub, EventSubscriber subscriber, EventsOptions options) : IResult
{
    private static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();
    private static readonly byte[] Preamble = "retry: 2000\n: connected\n\n"u8.ToArray();

    public async Task ExecuteAsync(HttpContext http)
    {
        try
        {
            var res = http.Response;
            res.StatusCode = StatusCodes.Status200OK;
            res.ContentType = "text/event-stream; charset=utf-8";
            res.Headers.CacheControl = "no-cache, no-transform";
            res.Headers["X-Accel-Buffering"] = "no"; // reverse proxies: pass each event on as it comes
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            if (options.MaxStreamDuration is { } max) lifetime.CancelAfter(max);
            var ct = lifetime.Token;
            // One timer per stream bounds every write (armed around each batch, not allocated per event).
            using var writes = CancellationTokenSource.CreateLinkedTokenSource(ct);

            // retry: how long EventSource waits before reconnecting (with Last-Event-ID) when the stream ends.
            await WriteBatchAsync(http, writes, ct, async t =>
            {
                await http.Response.Body.WriteAsync(Preamble, t);
                if (subscriber.Reset is { } reset) await http.Response.Body.WriteAsync(reset.Bytes, t);
                foreach (var frame in subscriber.Backlog) await http.Response.Body.WriteAsync(frame.Bytes, t);
            });

            var reader = subscriber.Frames;
            while (true)
            {
                if (reader.TryPeek(out _))
                {
                    await WriteBatchAsync(http, writes, ct, _ =>
                    {
                        // Copied into the response's pipe, one chunk and one send per batch: a push batch can be a
                        // thousand events, and a thousand streams writing them one by one was most of the host's CPU.
                        var body = http.Response.BodyWriter;
                        while (reader.TryRead(out var frame)) body.Write(frame.Bytes.Span);
                        return Task.CompletedTask;
                    });
                    continue;
                }
                bool more;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    idle.CancelAfter(options.Heartbeat);
                    try
                    {
                        more = await reader.WaitToReadAsync(idle.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        await WriteBatchAsync(http, writes, ct, t => http.Response.Body.WriteAsync(Heartbeat, t).AsTask());
                        continue;
                    }
                }
                if (!more) break;
            }
            await EndAsync(http, subscriber.Ended switch
            {
                EndReason.Lagged => ("lagged", "This stream fell behind: reconnect with Last-Event-ID."),
                EndReason.SessionEnded => ("end", "The session has ended (logout, password change or deactivation)."),
                _ => ("end", "The stream was closed."),
            });
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested && !_cutOff)
        {
            // The stream's lifetime is up (Events:MaxStreamSeconds): the client reconnects with Last-Event-ID.
            await EndAsync(http, ("end", "The stream's time is up: reconnect with Last-Event-ID."));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away (or was cut off for not reading).
        }
        finally
        {
            hub.Unsubscribe(subscriber);
        }
    }

    private bool _cutOff;

    private async Task EndAsync(HttpContext http, (string Event, string Reason) end)
    {
        var bytes = Encoding.UTF8.GetBytes($"event: {end.Event}\ndata: {Formats.Json.Serialize(new { reason = end.Reason })}\n\n");
        try
        {
            using var writes = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            await WriteBatchAsync(http, writes, http.RequestAborted, t => http.Response.Body.WriteAsync(bytes, t).AsTask());
        }
        catch (Exception e) when (e is OperationCanceledException or IOException) { }
    }

    /// <summary>
    /// Writes and flushes. A client that does not read blocks writes once the socket's buffers are full: past WriteTimeout
    /// it is cut off, so nothing waits on it without bound (its queue is bounded too: EventSubscriber).
    /// </summary>
    private async Task WriteBatchAsync(HttpContext http, CancellationTokenSource writes, CancellationToken ct, Func<CancellationToken, Task> write)
    {
        writes.CancelAfter(options.WriteTimeout);
        try
        {
            await write(writes.Token);
            await http.Response.BodyWriter.FlushAsync(writes.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _cutOff = true;
            http.Abort();
            throw;
        }
        writes.CancelAfter(Timeout.Infinite);
    }
}
