using System.Net.Sockets;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing;

namespace ElectisSpace.Tests.Infrastructure;

/// <summary>
/// Starts the Durable Task in-process test host on a port the OS has just given as free. Left to itself the host picks a
/// random port in 30000-40000, inside Linux's ephemeral range, where the suite's own connections live: it failed CI once
/// with "address already in use". A port can still be taken between the check and the bind, so a refused bind is tried
/// again on another.
/// </summary>
public static class DurableTestHosts
{
    public static async Task<DurableTaskTestHost> StartAsync(Action<DurableTaskRegistry> registry)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await DurableTaskTestHost.StartAsync(registry, new DurableTaskTestHostOptions { Port = FreePorts.Next() });
            }
            catch (IOException e) when (attempt < 5 && e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException or SocketException)
            {
            }
        }
    }
}
