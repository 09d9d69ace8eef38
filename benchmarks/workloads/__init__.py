"""One small file per workload; each defines WORKLOAD (see ../workload.py)."""
