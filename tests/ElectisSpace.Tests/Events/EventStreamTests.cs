using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ElectisSpace.Core.Aims;
using ElectisSpace.Core.Events;
using ElectisSpace.Core.Sync.Alive;
using ElectisSpace.Core.Sync.Jobs;
using ElectisSpace.Core.Sync.Push;
using ElectisSpace.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ElectisSpace.Tests.Events;

/// <summary>GET /api/events over HTTP against the real Standalone host and PostgreSQL.</summary>
public sealed class EventStreamTests(EventsApp app) : IClassFixture<EventsApp>
{
    private static string NewId() => "E" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();

    [Fact]
    public async Task A_committed_change_reaches_the_stream_with_id_version_and_sync_status()
    {
        var org = await app.CreateOrgAsync();
        var viewer = app.Client((await org.CreateUserAsync("viewer")).Token);
        await using var stream = await SseClient.OpenAsync(viewer);

        var space = await org.Admin.CreateSpaceAsync(NewId());
        var seen = await stream.UntilAsync(e => e.Event == "space:created");
        var ev = seen[^1].Json;
        Assert.Equal(space.Id(), ev.GetProperty("id").GetGuid());
        Assert.Equal(space.GetProperty("version").GetInt32(), ev.GetProperty("version").GetInt32());
        Assert.Equal("pending", ev.GetProperty("syncStatus").GetString());
        Assert.Equal(space.Id(), ev.GetProperty("data").GetProperty("id").GetGuid());
        Assert.True(seen[^1].Number > 0);
    }

    [Fact]
    public async Task A_ticket_opens_one_stream_once_and_not_after_30_seconds()
    {
        var org = await app.CreateOrgAsync();
        var res = await org.Admin.PostAsync("/api/events/ticket", null);
        var body = await HttpAssert.Status(res, HttpStatusCode.Created);
        Assert.Equal(30, body.GetProperty("expiresIn").GetInt32());
        var ticket = body.GetProperty("ticket").GetString()!;
        var expires = await app.Db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<double>(c,
            "SELECT extract(epoch FROM expires_at - now()) FROM event_tickets WHERE org_id = @OrgId", new { org.OrgId }));
        Assert.InRange(expires, 25, 31);

        using var anonymous = app.Client();
        await using (var stream = await SseClient.OpenAsync(anonymous, $"/api/events?ticket={Uri.EscapeDataString(ticket)}"))
        {
            await org.Admin.CreateSpaceAsync(NewId());
            await stream.UntilAsync(e => e.Event == "space:created");
        }
        // One use only.
        await HttpAssert.Status(await anonymous.GetAsync($"/api/events?ticket={Uri.EscapeDataString(ticket)}"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        // Expired: a ticket whose 30 s are over.
        var late = (await (await org.Admin.PostAsync("/api/events/ticket", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ticket").GetString()!;
        await app.ExecAsync("UPDATE event_tickets SET expires_at = now() - interval '1 second' WHERE org_id = @OrgId", new { org.OrgId });
        await HttpAssert.Status(await anonymous.GetAsync($"/api/events?ticket={Uri.EscapeDataString(late)}"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        // Neither a ticket nor a token; a ticket on another route is no token.
        await HttpAssert.Status(await anonymous.GetAsync("/api/events?ticket=made-up"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var other = (await (await org.Admin.PostAsync("/api/events/ticket", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ticket").GetString()!;
        await HttpAssert.Status(await anonymous.GetAsync($"/api/spaces?ticket={Uri.EscapeDataString(other)}"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Resuming_with_Last_Event_ID_after_a_dropped_connection_loses_nothing()
    {
        var org = await app.CreateOrgAsync();
        string lastId;
        await using (var stream = await SseClient.OpenAsync(org.Admin))
        {
            await org.Admin.CreateSpaceAsync(NewId());
            lastId = (await stream.UntilAsync(e => e.Event == "space:created"))[^1].Id!;
        }
        // Changes made while the client is away.
        var missed = new List<Guid>();
        for (var i = 0; i < 5; i++) missed.Add((await org.Admin.CreateSpaceAsync(NewId())).Id());

        await using var resumed = await SseClient.OpenAsync(org.Admin, lastEventId: lastId);
        var got = new List<SseEvent>();
        while (got.Count < 5) got.Add(await resumed.NextAsync());
        Assert.Equal(missed, got.Select(e => e.Json.GetProperty("id").GetGuid()));
        Assert.All(got, e => Assert.Equal("space:created", e.Event));
        Assert.Equal(got.Select(e => e.Number).Order(), got.Select(e => e.Number));
        Assert.True(got[0].Number > long.Parse(lastId));

        // ?lastEventId= does the same for clients that cannot set the header.
        await using var viaQuery = await SseClient.OpenAsync(org.Admin, $"/api/events?lastEventId={lastId}");
        Assert.Equal(missed[0], (await viaQuery.NextAsync()).Json.GetProperty("id").GetGuid());
        await HttpAssert.Status(await org.Admin.GetAsync("/api/events?lastEventId=abc"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task An_id_older_than_the_kept_window_gets_a_reset_event()
    {
        var org = await app.CreateOrgAsync();
        await org.Admin.CreateSpaceAsync(NewId());
        var old = await app.Db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT max(id) FROM events WHERE org_id = @OrgId", new { org.OrgId }));
        await org.Admin.CreateSpaceAsync(NewId());
        // The retention purge (the sweeper's) with a window that has passed for both.
        var newest = await app.Db.ReadAsync(c => Dapper.SqlMapper.ExecuteScalarAsync<long>(c, "SELECT max(id) FROM events"));
        await app.ExecAsync("UPDATE events SET created_at = now() - interval '1 hour' WHERE id <= @newest", new { newest });
        await app.Db.ReadAsync(c => EventHub.PurgeAsync(c, TimeSpan.FromMinutes(10)));

        await using var stream = await SseClient.OpenAsync(org.Admin, lastEventId: (old - 1).ToString());
        var first = await stream.NextAsync();
        Assert.Equal("reset", first.Event);
        // The stream goes on with live events after the reset.
        await org.Admin.CreateSpaceAsync(NewId());
        await stream.UntilAsync(e => e.Event == "space:created");
    }

    [Fact]
    public async Task Two_organizations_see_every_kind_of_their_own_events_and_none_of_the_others()
    {
        var quiet = await app.CreateOrgAsync();
        var busy = await app.CreateOrgAsync();
        await using var quietStream = await SseClient.OpenAsync(quiet.Admin);
        await using var busyStream = await SseClient.OpenAsync(app.Client((await busy.CreateUserAsync("viewer")).Token));

        // Entity changes through the API.
        var space = await busy.Admin.CreateSpaceAsync(NewId());
        var person = await busy.Admin.CreatePersonAsync("Ada");
        await busy.Admin.AssignAsync(person.Id(), space.Id());
        var room = await busy.Admin.CreateRoomAsync(NewId());
        await HttpAssert.Status(await busy.Admin.PostAsJsonAsync($"/api/conference/{room.Id()}/toggle", new { meetingName = "Standup" }), HttpStatusCode.OK);
        await HttpAssert.Status(await busy.Admin.PostAsJsonAsync("/api/people/lists", new { name = "L" + NewId(), peopleIds = new[] { person.Id() } }), HttpStatusCode.Created);
        await busy.CreateUserAsync("manager");
        var gone = await busy.Admin.CreateSpaceAsync(NewId());
        await HttpAssert.Status(await busy.Admin.DeleteAsync($"/api/spaces/{gone.Id()}"), HttpStatusCode.NoContent);
        // Sync status as the push path records it: the space's job done, the entity synced.
        await app.ExecAsync("UPDATE sync_queue SET status = 'completed' WHERE org_id = @OrgId AND entity_id = @id", new { busy.OrgId, id = space.Id() });
        var version = (await busy.Admin.GetFromJsonAsync<JsonElement>($"/api/spaces/{space.Id()}")).GetProperty("version").GetInt32();
        await app.Db.InTransactionAsync((c, tx) => SyncEntities.MarkSyncedAsync(c, tx, busy.OrgId, "space", [(space.Id(), version)]));
        // Sync jobs started, completed and failed.
        var (pull, _) = await SyncJobStore.CreateAsync(app.Db, busy.OrgId, SyncJobTypes.Pull, "api", null);
        await app.Db.ReadAsync(async c => { await SyncJobStore.MarkRunningAsync(c, pull); return 0; });
        await app.Db.InTransactionAsync((c, tx) => SyncJobStore.CompleteAsync(c, tx, pull, new SyncStats(Downloaded: 2, Read: 7)));
        var (full, _) = await SyncJobStore.CreateAsync(app.Db, busy.OrgId, SyncJobTypes.Full, "api", null);
        await app.Db.ReadAsync(c => SyncJobStore.FailAsync(c, full, "AIMS said no"));
        // AIMS down, then up.
        var alive = app.Services.GetRequiredService<AimsAliveStore>();
        for (var i = 0; i < AimsAliveStore.FailuresBeforeDown; i++) await alive.RecordAsync(busy.OrgId, new AimsAliveResult(false, null, 5, "unreachable"));
        await alive.RecordAsync(busy.OrgId, new AimsAliveResult(true, 200, 5, null));

        var seen = await busyStream.UntilAsync(e => e.Event == "health:solum:ok", TimeSpan.FromSeconds(15));
        string[] kinds =
        [
            "space:created", "person:created", "person:assigned", "conference:created", "conference:toggled", "people_list:created",
            "user:created", "space:deleted", "space:syncStatus", "sync:started", "sync:completed", "sync:error", "health:solum:error", "health:solum:ok",
        ];
        Assert.All(kinds, k => Assert.Contains(seen, e => e.Event == k));
        Assert.Equal("synced", seen.Last(e => e.Event == "space:syncStatus").Json.GetProperty("syncStatus").GetString());
        Assert.Equal(7, seen.Single(e => e.Event == "sync:completed").Json.GetProperty("stats").GetProperty("read").GetInt32());
        Assert.Equal("AIMS said no", seen.Single(e => e.Event == "sync:error").Json.GetProperty("error").GetString());
        Assert.Equal(seen.Select(e => e.Number).Order(), seen.Select(e => e.Number));
        // Users' events carry no user data (not every role may read users).
        Assert.False(seen.First(e => e.Event == "user:created").Json.TryGetProperty("data", out _));

        // The quiet organization saw none of it: its first event is its own marker.
        var marker = await quiet.Admin.CreateSpaceAsync(NewId());
        var quietSeen = await quietStream.NextAsync();
        Assert.True(marker.Id() == quietSeen.Json.GetProperty("id").GetGuid(),
            $"quiet org {quiet.OrgId} first saw {quietSeen.Id} {quietSeen.Event} {quietSeen.Data}; marker {marker}; busy {busy.OrgId} space {space.Id()} gone {gone.Id()}");
        Assert.Empty(await quietStream.DrainAsync(TimeSpan.FromMilliseconds(300)));
        // And a resume from before it all replays only the quiet organization's own rows.
        // (its setup's user:created for its admin, then the marker).
        await using var replay = await SseClient.OpenAsync(quiet.Admin, lastEventId: "0");
        var replayed = (await replay.UntilAsync(e => e.Event == "space:created")).Concat(await replay.DrainAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal([quiet.AdminId, marker.Id()], replayed.Select(e => e.Json.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task Idle_streams_get_heartbeat_comments()
    {
        var org = await app.CreateOrgAsync();
        await using var stream = await SseClient.OpenAsync(org.Admin);
        var before = stream.Comments;
        await Task.Delay(1200); // heartbeat every 300 ms in this fixture
        Assert.True(stream.Comments - before >= 2, $"heartbeats: {stream.Comments - before}");
    }

    [Fact]
    public async Task Logout_and_deactivation_end_the_stream_within_seconds()
    {
        var org = await app.CreateOrgAsync();
        var login = await org.LoginAsync(org.AdminEmail, TestApp.AdminPassword);
        await using var stream = await SseClient.OpenAsync(app.Client(login.AccessToken));
        using (var c = app.Client(login.AccessToken))
            Assert.True((await c.PostAsJsonAsync("/api/auth/logout", new { refreshToken = login.RefreshToken })).IsSuccessStatusCode);
        var end = await stream.UntilAsync(e => e.Event == "end", TimeSpan.FromSeconds(5));
        Assert.Contains("session", end[^1].Data);
        await stream.Closed.WaitAsync(TimeSpan.FromSeconds(5));

        var viewer = await org.CreateUserAsync("viewer");
        await using var viewerStream = await SseClient.OpenAsync(app.Client(viewer.Token));
        await HttpAssert.Status(await org.Admin.PatchAsJsonAsync($"/api/users/{viewer.Id}", new { isActive = false }), HttpStatusCode.OK);
        await viewerStream.UntilAsync(e => e.Event == "end", TimeSpan.FromSeconds(5));
        await viewerStream.Closed.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_change_committed_through_another_host_instance_reaches_a_stream_on_this_one()
    {
        var org = await app.CreateOrgAsync();
        await using var stream = await SseClient.OpenAsync(org.Admin);
        var settings = TestApp.DefaultSettings(app.ConnectionString);
        var (second, address) = await TestApp.StartHostAsync(settings, migrate: false);
        try
        {
            using var other = new HttpClient { BaseAddress = address };
            other.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", org.AdminToken);
            var space = await other.CreateSpaceAsync(NewId());
            var seen = await stream.UntilAsync(e => e.Event == "space:created");
            Assert.Equal(space.Id(), seen[^1].Json.GetProperty("id").GetGuid());
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_client_that_does_not_read_is_told_it_lagged_and_resumes_without_loss()
    {
        var org = await app.CreateOrgAsync();
        // A raw connection with a small receive buffer that reads nothing while the changes are made.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(app.BaseAddress.Host, app.BaseAddress.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /api/events HTTP/1.1\r\nHost: {app.BaseAddress.Authority}\r\nAuthorization: Bearer {org.AdminToken}\r\nAccept: text/event-stream\r\n\r\n"));
        await Task.Delay(300);
        // Far more events than the socket buffers, Kestrel's output buffer and the stream's queue (50 here) hold together.
        const int Count = 5000;
        await app.ExecAsync("""
            INSERT INTO events (org_id, type, data)
            SELECT @OrgId, 'test:bulk', jsonb_build_object('n', g, 'pad', repeat('x', 2000)) FROM generate_series(1, 5000) g
            """, new { org.OrgId });
        await Task.Delay(1000);

        // Now read: the server has ended the stream before all of them and said so with a last "lagged" event.
        var frames = ParseEvents(await ReadChunkedToEndAsync(new NetworkStream(socket), TimeSpan.FromSeconds(20)));
        Assert.Equal("lagged", frames[^1].Event);
        var delivered = frames.Where(f => f.Event == "test:bulk").ToList();
        Assert.InRange(delivered.Count, 1, Count - 1);
        Assert.Equal(Enumerable.Range(1, delivered.Count), delivered.Select(f => f.Json.GetProperty("n").GetInt32()));

        // Resuming after the last event it got loses nothing.
        await using var resumed = await SseClient.OpenAsync(org.Admin, lastEventId: delivered[^1].Id);
        var next = delivered.Count + 1;
        while (next <= Count)
        {
            var e = await resumed.NextAsync();
            Assert.Equal("test:bulk", e.Event);
            Assert.Equal(next++, e.Json.GetProperty("n").GetInt32());
        }
    }

    private static List<SseEvent> ParseEvents(string text)
    {
        var list = new List<SseEvent>();
        foreach (var block in text.Split("\n\n"))
        {
            string? id = null, ev = null, data = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("id: ")) id = line[4..];
                else if (line.StartsWith("event: ")) ev = line[7..];
                else if (line.StartsWith("data: ")) data = line[6..];
            }
            if (data is not null) list.Add(new SseEvent(id, ev ?? "message", data));
        }
        return list;
    }

    /// <summary>The body of an HTTP/1.1 chunked response, read until the server closes it.</summary>
    private static async Task<string> ReadChunkedToEndAsync(Stream raw, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var bytes = new MemoryStream();
        var buffer = new byte[65536];
        try
        {
            int n;
            while ((n = await raw.ReadAsync(buffer, cts.Token)) > 0) bytes.Write(buffer, 0, n);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException) { }
        var text = Encoding.UTF8.GetString(bytes.ToArray());
        var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        var decoded = new StringBuilder();
        var at = 0;
        while (at < body.Length)
        {
            var eol = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (eol < 0) break;
            var size = Convert.ToInt32(body[at..eol], 16);
            if (size == 0) break;
            if (eol + 2 + size > body.Length) { decoded.Append(body[(eol + 2)..]); break; }
            decoded.Append(body, eol + 2, size);
            at = eol + 2 + size + 2;
        }
        return decoded.ToString();
    }
}
