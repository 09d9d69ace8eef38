"""Usage counts of the PyTorch and TF1 names that real public programs use (see build_corpus.py)."""
