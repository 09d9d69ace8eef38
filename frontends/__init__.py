"""duograd.frontends: the two programming styles, graph/ (TF1) and eager/ (PyTorch), on one core."""
