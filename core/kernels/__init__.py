"""duograd.core.kernels: numba kernels on plain ndarrays, compiled on first use and cached on disk."""
