"""Host steps of a Session run: tf.data iterator initializers and get_next pulls.

An iterator's `initializer` is a no-op node carrying `attrs["host_run"]` (called with the session
and the run's feed_dict); a `get_next()` output is a placeholder carrying `attrs["host_pull"]`
(an object whose `pull(session)` returns the next element's flat values) and
`attrs["host_index"]` (which of those values it is). The session finds them when it compiles a
run and feeds the pulled values itself, so the executor sees ordinary placeholders.
"""

from __future__ import annotations

from typing import Any


class HostSteps:
    """The initializers to call and the placeholders to pull for one compiled run."""

    __slots__ = ("inits", "pulls", "tensors")

    def __init__(self, inits: list, pulls: list, tensors: list) -> None:
        self.inits = inits
        self.pulls = pulls  # [(puller, [index of each pulled tensor in its element])]
        self.tensors = tensors

    @staticmethod
    def find(leaves: list, unfed: list) -> HostSteps | None:
        """The host steps of a run fetching `leaves` whose plan left `unfed` placeholders."""
        inits = []
        for leaf in leaves:
            node = getattr(leaf, "_node", None)
            if node is not None and "host_run" in node.attrs:
                inits.append(node.attrs["host_run"])
        groups: dict = {}
        for node in unfed:
            puller = node.attrs.get("host_pull")
            if puller is not None:
                groups.setdefault(id(puller), (puller, []))[1].append(node)
        if not inits and not groups:
            return None
        pulls = [(p, [n.attrs["host_index"] for n in nodes]) for p, nodes in groups.values()]
        tensors = [n.output for _, nodes in groups.values() for n in nodes]
        return HostSteps(inits, pulls, tensors)

    def run(self, session: Any, feed_dict: dict | None) -> list:
        """Run the initializers, then pull one element per get_next: the values to feed."""
        for init in self.inits:
            init(session, feed_dict)
        out = []
        for puller, indices in self.pulls:
            flat = puller.pull(session)
            out.extend(flat[i] for i in indices)
        return out
