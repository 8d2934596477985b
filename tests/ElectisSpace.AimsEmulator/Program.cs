namespace ElectisSpace.AimsEmulator;

// Placeholder entry point (lead); the AIMS emulator work replaces this file.
public static class EmulatorProgram
{
    public static Task Main(string[] args) => Task.CompletedTask;
}
