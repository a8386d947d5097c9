using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Baton.Bench.Redaction.RedactionBenchmarks).Assembly).Run(args);
