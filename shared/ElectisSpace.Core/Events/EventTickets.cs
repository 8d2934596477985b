using System.Buffers.Text;
using System.Security.Cryptography;
using ElectisSpace.Core.Auth;

namespace ElectisSpace.Core.Events;

public sealed record EventTicketDto(string Ticket, int ExpiresIn);

/// <summary>
/// One-use tickets for GET /api/events?ticket=…: a browser's EventSource cannot send an Authorization header, and an access
/// token in a URL would be logged by every proxy on the way and stay valid for its whole lifetime. A ticket lives
/// <see cref="Lifetime"/>, works once, and names the session it was issued for (checked again when the stream opens).
/// Stored in PostgreSQL (hashed), so a ticket issued by one instance opens a stream on any other.
/// </summary>
public sealed class EventTickets(Db db, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    public async Task<EventTicketDto> IssueAsync(CurrentUser user, CancellationToken ct)
    {
        var ticket = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        await db.InTransactionAsync((c, tx) => c.ExecuteAsync("""
            INSERT INTO event_tickets (ticket_hash, org_id, user_id, session_id, role, email, expires_at)
            VALUES (@hash, @OrgId, @UserId, @SessionId, @role, @Email, @expiresAt)
            """, new { hash = Hash(ticket), user.OrgId, user.UserId, user.SessionId, role = EnumNames.Name(user.Role), user.Email,
            expiresAt = time.GetUtcNow() + Lifetime }, tx), ct);
        return new EventTicketDto(ticket, (int)Lifetime.TotalSeconds);
    }

    /// <summary>The user the ticket was issued to, using it up; 401 when it is unknown, used or expired.</summary>
    public async Task<CurrentUser> ConsumeAsync(string ticket, CancellationToken ct)
    {
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<Row>("""
            DELETE FROM event_tickets WHERE ticket_hash = @hash RETURNING org_id, user_id, session_id, role, email, expires_at
            """, new { hash = Hash(ticket) }), ct);
        if (row is null || new DateTimeOffset(DateTime.SpecifyKind(row.ExpiresAt, DateTimeKind.Utc)) <= time.GetUtcNow())
            throw ApiException.Unauthorized("The event-stream ticket is unknown, used or expired. Ask for a new one (POST /api/events/ticket).");
        return new CurrentUser(row.UserId, row.OrgId, EnumNames.Parse<Role>(row.Role), row.Email) { SessionId = row.SessionId };
    }

    /// <summary>The shape every issued ticket has: 32 random bytes, base64url (43 characters).</summary>
    public static bool IsWellFormed(string ticket) =>
        ticket.Length == 43 && ticket.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_');

    private static byte[] Hash(string ticket) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ticket));

    private sealed class Row
    {
        public Guid OrgId { get; set; } public Guid UserId { get; set; } public Guid SessionId { get; set; }
        public string Role { get; set; } = ""; public string Email { get; set; } = ""; public DateTime ExpiresAt { get; set; }
    }
}
