"""Train the same MLP in both styles and show that the final weights are bitwise equal."""

import _common
import mlp_classifier_eager
import mlp_classifier_graph
import numpy as np

if __name__ == "__main__":
    args = _common.parse(__doc__, 60)
    pe, le, ae = mlp_classifier_eager.train(args.steps, quiet=True)
    pg, lg, ag = mlp_classifier_graph.train(args.steps, quiet=True)
    names = ["W1", "b1", "W2", "b2"]
    same = True
    for name, a, b in zip(names, pe, pg, strict=True):
        equal = a.tobytes() == b.tobytes()
        same &= equal
        diff = "" if equal else f" (max |diff| {np.max(np.abs(a - b)):.3g})"
        print(f"{name} {str(a.shape):10s} {'bitwise equal' if equal else 'DIFFERENT'}{diff}")
    print(f"eager loss {le!r}  graph loss {lg!r}  accuracy {ae:.3f} / {ag:.3f}")
    print("final weights are bitwise equal" if same else "final weights differ")
    raise SystemExit(0 if same else 1)
