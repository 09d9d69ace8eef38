"""duograd.benchmarks: side-by-side workloads in both styles (and real PyTorch/TF) + `duograd bench`."""
