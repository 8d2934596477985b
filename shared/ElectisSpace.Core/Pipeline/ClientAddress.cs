using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace ElectisSpace.Core.Pipeline;

/// <summary>
/// Which address is the client's, for per-IP rate limits and audit rows (read once, as <see cref="RequestContext.Ip"/>).
/// ASP.NET Core's forwarded-headers middleware does the work in both hosts (Standalone adds it; the Functions worker's
/// ASP.NET Core integration always runs it); this only decides whom it believes.
/// <para>
/// X-Forwarded-For is believed only from a trusted peer, walking it right to left while each hop is itself trusted, so
/// the answer is the right-most untrusted address: what a client writes into the header sits left of what the proxies
/// appended and is never reached. In Azure the Functions host receives the request from the platform front end and proxies
/// it to the worker over loopback, replacing X-Forwarded-For with the one address it saw as the client (YARP's default
/// transform; Azure's front ends write "ip:port", which the middleware parses). So the Functions app trusts loopback and
/// nothing else by default; Standalone trusts nobody by default. Anything further out (Front Door, Application Gateway, a
/// reverse proxy) is named in Network:TrustedProxies — Front Door, for one, is seen by the host as the client otherwise.
/// </para>
/// </summary>
public static class ClientAddress
{
    public static readonly IReadOnlyList<IPNetwork> Loopback = [new(IPAddress.Loopback, 8), new(IPAddress.IPv6Loopback, 128)];

    public static void Configure(ForwardedHeadersOptions options, IReadOnlyList<IPNetwork> trusted)
    {
        // Empty known lists make the middleware believe every peer: with nobody to trust, read no forwarded header at all.
        if (trusted.Count == 0)
        {
            options.ForwardedHeaders = ForwardedHeaders.None;
            return;
        }
        // Keep what the worker asked for (it also forwards Host) and make sure For and Proto are read.
        options.ForwardedHeaders |= ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        options.ForwardLimit = null; // walk every trusted hop; the walk still stops at the first untrusted address
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear(); // the framework's default trusts loopback; only the host profile/setting may
        foreach (var network in trusted) options.KnownIPNetworks.Add(network);
    }
}
