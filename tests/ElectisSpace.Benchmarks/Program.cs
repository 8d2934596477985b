using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/ElectisSpace.Benchmarks            (all BenchmarkDotNet benchmarks)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- --filter '*PeopleImport*'
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- push    (push path figures: latency, sustained, burst)
if (args is ["push", ..])
    await ElectisSpace.Benchmarks.PushBenchmark.RunAsync();
else
    BenchmarkSwitcher.FromAssembly(typeof(ElectisSpace.Benchmarks.PeopleImportBenchmark).Assembly).Run(args);
