using System.Diagnostics;
using System.Net.Http.Headers;

namespace ElectisSpace.Tests.Infrastructure;

/// <summary>The Standalone host as its own process over the test's database, so a test can SIGKILL it.</summary>
public sealed class StandaloneProcess : IDisposable
{
    private readonly Process _process;
    private readonly Uri _address;

    public int Pid => _process.Id;

    private StandaloneProcess(Process process, Uri address) => (_process, _address) = (process, address);

    public static async Task<StandaloneProcess> StartAsync(IDictionary<string, string> settings)
    {
        var port = FreePorts.Next();
        var dll = Path.Combine(AppContext.BaseDirectory, "ElectisSpace.Standalone.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var (k, v) in settings) psi.ArgumentList.Add($"--{k}={v}");
        psi.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        psi.Environment["DOTNET_ENVIRONMENT"] = psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the host");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new StandaloneProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var probe = host.Client(null);
        for (var i = 0; ; i++)
        {
            if (process.HasExited) throw new InvalidOperationException($"the host exited with {process.ExitCode}");
            try { if ((await probe.GetAsync("/api/health")).IsSuccessStatusCode) return host; }
            catch (HttpRequestException) when (i < 600) { }
            await Task.Delay(100);
        }
    }

    public HttpClient Client(string? token)
    {
        var c = new HttpClient { BaseAddress = _address, Timeout = TimeSpan.FromMinutes(2) };
        if (token is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return c;
    }

    /// <summary>SIGKILL, as a platform recycling or crashing an instance does.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
