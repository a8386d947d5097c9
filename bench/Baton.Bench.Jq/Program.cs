using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Baton.Bench.Jq.JqBenchmarks).Assembly).Run(args);
