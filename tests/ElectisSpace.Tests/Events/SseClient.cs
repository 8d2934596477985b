using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;

namespace ElectisSpace.Tests.Events;

/// <summary>One Server-Sent Event as a client parses it.</summary>
public sealed record SseEvent(string? Id, string Event, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();
    public long Number => long.Parse(Id!);
}

/// <summary>
/// A text/event-stream reader as a browser's EventSource parses it (id:, event:, data:, comment lines), over HttpClient.
/// Events and comments are queued as they arrive; Closed completes when the server ends the stream.
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private readonly Task _reader;
    private int _comments;

    public int Comments => Volatile.Read(ref _comments);
    public Task Closed => _reader;
    public HttpResponseMessage Response => _response;

    private SseClient(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = Task.Run(() => ReadAsync(body));
    }

    public static async Task<SseClient> OpenAsync(HttpClient client, string url = "/api/events", string? lastEventId = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, url);
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null) req.Headers.Add("Last-Event-ID", lastEventId);
        var res = await client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        if (!res.IsSuccessStatusCode)
            throw new InvalidOperationException($"stream refused: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
        Assert.Equal("text/event-stream", res.Content.Headers.ContentType?.MediaType);
        return new SseClient(res, await res.Content.ReadAsStreamAsync());
    }

    private async Task ReadAsync(Stream body)
    {
        using var reader = new StreamReader(body);
        string? id = null, ev = null;
        var data = new List<string>();
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Count > 0) _events.Writer.TryWrite(new SseEvent(id, ev ?? "message", string.Join("\n", data)));
                    id = null; ev = null; data.Clear();
                }
                else if (line.StartsWith(':')) Interlocked.Increment(ref _comments);
                else if (line.StartsWith("id: ")) id = line[4..];
                else if (line.StartsWith("event: ")) ev = line[7..];
                else if (line.StartsWith("data: ")) data.Add(line[6..]);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    /// <summary>The next event, or a failure after the timeout.</summary>
    public async Task<SseEvent> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _events.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No event arrived in time.");
        }
    }

    /// <summary>Events until one matches (returned with all before it).</summary>
    public async Task<List<SseEvent>> UntilAsync(Func<SseEvent, bool> match, TimeSpan? timeout = null)
    {
        var seen = new List<SseEvent>();
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"No matching event; saw: {string.Join(", ", seen.Select(e => e.Event))}");
            var e = await NextAsync(left);
            seen.Add(e);
            if (match(e)) return seen;
        }
    }

    /// <summary>Whatever arrives within the window (nothing is expected).</summary>
    public async Task<List<SseEvent>> DrainAsync(TimeSpan window)
    {
        var seen = new List<SseEvent>();
        using var cts = new CancellationTokenSource(window);
        try
        {
            while (true) seen.Add(await _events.Reader.ReadAsync(cts.Token));
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException) { }
        return seen;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        try { await _reader; } catch { }
        _stop.Dispose();
    }
}
