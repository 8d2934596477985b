using Dapper;
using Npgsql;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// The assign workload's requests: every one moves a person to another desk. Person k has two desks of its own, A[k] and
/// B[k], and goes to the one it is not at. Seating a person where it already sits changes nothing (the API answers
/// at once), so a workload that re-seated the same pairs in each run (as this bench did until 2026-11-30 19:30) measured
/// mostly no-ops after its first pass. Where each person sits is read before each run; the requests for one person are
/// thousands apart, so a person's moves never overlap.
/// </summary>
public sealed class AssignMoves
{
    private readonly Guid _orgId;
    private readonly Guid[] _people, _deskA, _deskB;
    private bool[] _atA;
    private int _next = -1;

    public AssignMoves(Guid orgId, Guid[] personIds, Guid[] spaceIds)
    {
        var n = Math.Min(personIds.Length, spaceIds.Length / 2);
        _orgId = orgId;
        _people = personIds[..n];
        _deskA = spaceIds[..n];
        _deskB = spaceIds[n..(2 * n)];
        _atA = new bool[n];
    }

    /// <summary>The people moved, and each one's two desks (the pgbench floor moves the same people, PgbenchFloor).</summary>
    public (Guid[] People, Guid[] DeskA, Guid[] DeskB) Pairs => (_people, _deskA, _deskB);

    /// <summary>Reads where each person sits now (A, or anything else: then its next move is to A).</summary>
    public async Task ReadPositionsAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(connectionString);
        var seated = (await c.QueryAsync<(Guid Id, Guid? Space)>(
            "SELECT id, assigned_space_id FROM people WHERE org_id = @orgId AND id = ANY(@ids)", new { orgId = _orgId, ids = _people }))
            .ToDictionary(p => p.Id, p => p.Space);
        _atA = _people.Select((id, k) => seated.GetValueOrDefault(id) == _deskA[k]).ToArray();
        _next = -1;
    }

    /// <summary>The next move for the .NET driver: its workers share one sequence.</summary>
    public (Guid Person, Guid Space) Next()
    {
        var k = (int)((uint)Interlocked.Increment(ref _next) % (uint)_people.Length);
        var toA = !_atA[k];
        _atA[k] = toA;
        return (_people[k], toA ? _deskA[k] : _deskB[k]);
    }

    /// <summary>The same for wrk: each wrk thread takes alternate people (so no two threads move one person) and keeps
    /// where its people are in its own copy of the table.</summary>
    public WrkSpec Wrk() => new("/", $$"""
        local people = {{{string.Join(",", _people.Select(id => WrkSpec.Lua(id.ToString())))}}}
        local deskA = {{{string.Join(",", _deskA.Select(id => WrkSpec.Lua(id.ToString())))}}}
        local deskB = {{{string.Join(",", _deskB.Select(id => WrkSpec.Lua(id.ToString())))}}}
        local atA = {{{string.Join(",", _atA.Select(a => a ? "true" : "false"))}}}
        local n = 0
        request = function()
          local k = (n * 2 + tid - 1) % #people + 1
          n = n + 1
          local desk
          if atA[k] then desk = deskB[k] else desk = deskA[k] end
          atA[k] = not atA[k]
          return wrk.format("POST", "/api/people/" .. people[k] .. "/assign", nil, '{"spaceId":"' .. desk .. '"}')
        end
        """);
}
