using System.Net;
using System.Net.Sockets;

namespace ElectisSpace.Tests.Infrastructure;

/// <summary>A loopback port the OS reports free right now (it can still be taken before the caller binds it).</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
