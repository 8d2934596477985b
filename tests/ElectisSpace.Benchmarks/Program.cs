using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- bench [--people 100000] [--pool N] [--only NAME,NAME] [--peer-url URL --peer-token T]
//     [--pg-set name=value ...] [--unsafe-fast] [--out FILE]     (HTTP load over the seeded host, durable PostgreSQL; see docs/performance.md)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- events  (live updates: 1,000 streams, delivery p95, memory, 500 changes/s)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- push    (push path figures: latency, sustained, burst)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- two-hosts [--changes 10000]  (two Standalone processes, one killed mid-burst: counts)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks            (all BenchmarkDotNet benchmarks)
// dotnet run -c Release --project tests/ElectisSpace.Benchmarks -- --filter '*PeopleImport*'
if (args.FirstOrDefault() == ElectisSpace.Benchmarks.ColdStart.ChildCommand) return await ElectisSpace.Benchmarks.ColdStart.FunctionsChildAsync(args[1..]); // bench's own child
if (args.FirstOrDefault() == "floor-scripts") { foreach (var (w, s) in ElectisSpace.Benchmarks.PgbenchFloor.Scripts) Console.WriteLine($"-- {w}\n{s}\n"); return 0; } // what the floor runs, to read or run by hand
if (args.FirstOrDefault() == "bench") return await ElectisSpace.Benchmarks.LoadBench.RunAsync(args[1..]);
if (args.FirstOrDefault() == "events") return await ElectisSpace.Benchmarks.EventsBenchmark.RunAsync(args[1..]);
if (args.FirstOrDefault() == "two-hosts") return await ElectisSpace.Benchmarks.TwoHostsBenchmark.RunAsync(args[1..]);
if (args.FirstOrDefault() == "push") { await ElectisSpace.Benchmarks.PushBenchmark.RunAsync(); return 0; }
BenchmarkSwitcher.FromAssembly(typeof(ElectisSpace.Benchmarks.PeopleImportBenchmark).Assembly).Run(args);
return 0;
