"""duograd.benchmarks: side-by-side workloads in both styles and the `duograd bench` command."""
