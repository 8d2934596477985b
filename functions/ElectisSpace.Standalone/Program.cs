using ElectisSpace.Standalone;

// The Standalone host: the same shared handlers, served by Kestrel in one process.
// `migrate` applies migrations and exits (the Azure deploy step), `app-login` makes the app's least-privilege database
// login (the next deploy step), `seed-admin` is the bootstrap command, `set-aims` points an organization at AIMS,
// `openapi` writes the API description; anything else starts the server (migrating first).
return args.FirstOrDefault() switch
{
    "migrate" => await Commands.MigrateAsync(args[1..]),
    "seed-admin" => await Commands.SeedAdminAsync(args[1..]),
    "set-aims" => await Commands.SetAimsAsync(args[1..]),
    "app-login" => await Commands.AppLoginAsync(args[1..]),
    "openapi" => await Commands.WriteOpenApiAsync(args[1..]),
    _ => await StandaloneHost.RunAsync(args),
};

/// <summary>Lets WebApplicationFactory find the entry point in tests.</summary>
public partial class Program;
