using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- bench [--people 100000] [--pool N] [--only NAME,NAME] [--peer-url URL --peer-token T] [--out FILE]
//                                                                   (HTTP load over the seeded host; see docs/performance.md)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- events  (live updates: 1,000 streams, delivery p95, memory, 500 changes/s)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- push    (push path figures: latency, sustained, burst)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks            (all BenchmarkDotNet benchmarks)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- --filter '*PeopleImport*'
if (args.FirstOrDefault() == "bench") return await ElectisSpace.Benchmarks.LoadBench.RunAsync(args[1..]);
if (args.FirstOrDefault() == "events") return await ElectisSpace.Benchmarks.EventsBenchmark.RunAsync(args[1..]);
if (args.FirstOrDefault() == "push") { await ElectisSpace.Benchmarks.PushBenchmark.RunAsync(); return 0; }
BenchmarkSwitcher.FromAssembly(typeof(ElectisSpace.Benchmarks.PeopleImportBenchmark).Assembly).Run(args);
return 0;
