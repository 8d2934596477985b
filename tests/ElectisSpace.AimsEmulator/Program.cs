namespace ElectisSpace.AimsEmulator;

/// <summary>Standalone emulator: <c>dotnet run --project tests/ElectisSpace.AimsEmulator -- --urls http://127.0.0.1:5081</c>.</summary>
public static class EmulatorProgram
{
    public const string DefaultUrls = "http://127.0.0.1:5081";

    public static async Task<int> Main(string[] args)
    {
        EmulatorCommandLine command;
        try
        {
            command = EmulatorCommandLine.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or IOException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"AIMS emulator: {e.Message}");
            Console.Error.WriteLine(EmulatorCommandLine.Usage);
            return 2;
        }
        if (command.ShowHelp)
        {
            Console.WriteLine(EmulatorCommandLine.Usage);
            return 0;
        }

        // --urls is read by ASP.NET itself from args; default to the port run-local.sh expects.
        var app = EmulatorApp.Build(args, command.Seed, command.Options, command.HasUrls ? null : DefaultUrls);
        await app.StartAsync();
        Console.WriteLine(command.Describe());
        Console.WriteLine("Listening on " + string.Join(", ", app.Urls) + " (AIMS under /common/api/v2 and /c1/common/api/v2, control under /_emulator)");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
