"""``torch.jit``: trace (placeholder while being written)."""
