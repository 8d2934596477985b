using System.Web;

namespace ElectisSpace.Benchmarks;

/// <summary>
/// The Node electisSpace server's workloads (NodePeer/node-peer.sh sets it up with seed.sql's data), each the counterpart
/// of one of ours, and the ratios of the two in one run. Its routes are its own (/api/v1, a store id on every call, a
/// desk is a slot number it does not look up); the ids are seed.sql's fixed ones.
/// </summary>
public static class NodePeer
{
    public const string Create = "Node server: create a person", Assign = "Node server: assign", Toggle = "Node server: conference toggle";

    /// <summary>Ours beside the Node server's: the people page (both of ours: cached and never cached), then the writes.</summary>
    public static readonly (string Ours, string Node)[] Pairs =
    [
        ("people page of 50", Targets.PeerWorkload),
        ("people page of 50, never cached", Targets.PeerWorkload),
        ("create a person", Create),
        ("assign", Assign),
        ("conference toggle", Toggle),
    ];

    // seed.sql: person g is 00000000-0000-4000-8000-<g, 12 digits>; people 1-200 sit on slots 1-200, the rest are unassigned.
    private static string PersonId(int g) => $"00000000-0000-4000-8000-{g:D12}";
    private static string RoomId(int g) => $"00000000-0000-4000-9000-{g:D12}";
    private const int Movers = 5000, Rooms = 200;
    private static int _slotRun;

    /// <summary>Each workload's name and a fresh wrk script per run (the assign needs slots no run used before).</summary>
    public static (string Name, Func<WrkSpec> Spec)[] Workloads(Uri peopleUrl)
    {
        var store = HttpUtility.ParseQueryString(peopleUrl.Query)["storeId"] ?? throw new ArgumentException("--peer-url has no storeId (node-peer.sh url)");
        var people = string.Join(",", Enumerable.Range(201, Movers).Select(g => WrkSpec.Lua(PersonId(g))));
        return
        [
            (Targets.PeerWorkload, () => new WrkSpec(peopleUrl.PathAndQuery)),
            (Create, () => new WrkSpec("/api/v1/people", $$$"""
                local n = 0
                request = function()
                  n = n + 1
                  return wrk.format("POST", nil, nil, '{"storeId":"{{{store}}}","data":{"name":"Bench ' .. tid .. '-' .. n .. '","department":"Load"}}')
                end
                """)),
            // Every request moves a person to a slot nobody holds (never used before in this run): a real move each time,
            // as our assign workload makes (its desks are rows we look up and lock; the Node server's slots are free text).
            (Assign, () =>
            {
                var slotBase = 1_000_000 * Interlocked.Increment(ref _slotRun);
                return new WrkSpec("/", $$"""
                    local people = {{{people}}}
                    local n = 0
                    request = function()
                      local k = (n * 2 + tid - 1) % #people + 1
                      n = n + 1
                      local slot = {{slotBase}} + tid * 100000 + n
                      return wrk.format("POST", "/api/v1/people/" .. people[k] .. "/assign", nil, '{"spaceId":"' .. slot .. '"}')
                    end
                    """);
            }),
            (Toggle, () => new WrkSpec("/", $$"""
                local rooms = {{{string.Join(",", Enumerable.Range(1, Rooms).Select(g => WrkSpec.Lua(RoomId(g))))}}}
                local requests = {}
                init = function(args)
                  for i, id in ipairs(rooms) do requests[i] = wrk.format("POST", "/api/v1/conference/" .. id .. "/toggle", nil, "{}") end
                end
                request = function() return requests[math.random(#requests)] end
                """)),
        ];
    }

    /// <summary>Ours against the Node server's at each client count both ran: rate and p95 ratios.</summary>
    public static void PrintRatios(IReadOnlyList<LoadBench.RunResult> results)
    {
        var rows = (from pair in Pairs
                    from ours in results.Where(r => r.Workload == pair.Ours)
                    let node = results.FirstOrDefault(r => r.Workload == pair.Node && r.Clients == ours.Clients)
                    where node is not null
                    select (pair.Ours, ours, node)).ToList();
        if (rows.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine("| ours vs the Node server | clients | ours req/s | Node req/s | rate ratio | ours p95 ms | Node p95 ms | p95 ratio (Node / ours) | errors (ours / Node) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, ours, node) in rows)
            Console.WriteLine($"| {name} | {ours.Clients} | {ours.RequestsPerSecond:N0} | {node.RequestsPerSecond:N0} | {(node.RequestsPerSecond > 0 ? ours.RequestsPerSecond / node.RequestsPerSecond : double.NaN):N1}x | " +
                              $"{ours.P95Ms:N1} | {node.P95Ms:N1} | {(ours.P95Ms > 0 ? node.P95Ms / ours.P95Ms : double.NaN):N1}x | {ours.Errors} / {node.Errors} |");
    }
}
