using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/ElectisSpace.Benchmarks            (all benchmarks)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- --filter '*PeopleImport*'
BenchmarkSwitcher.FromAssembly(typeof(ElectisSpace.Benchmarks.PeopleImportBenchmark).Assembly).Run(args);
