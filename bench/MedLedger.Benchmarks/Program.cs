using BenchmarkDotNet.Running;

// Runs the micro-benchmarks named on the command line (BenchmarkDotNet's switcher: --filter, --job, --list).
// docs/benchmarks.md records the figures and the commands that produced them.
BenchmarkSwitcher.FromAssembly(typeof(MedLedger.Benchmarks.SignatureBenchmarks).Assembly).Run(args);
