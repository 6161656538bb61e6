"""One-step edits of a cell, in words: each editable space's neighbours (NB201, DARTS, NB101), and the edits the
app's cell editor applies.

    neighbours("nb201", arch)    # every architecture one edit away (`Neighbour`: the edit in words, the
                                 # operation it brings, the architecture); `editable()`: the spaces that have one

Pure: no Streamlit, no scoring. An edit either gives a new valid architecture or a `ValueError` that says in
words why the cell would not be valid (an NB101 graph with no path, more than 9 edges; a DARTS node left
dangling). NB101 is edited on its pruned cell, whose node numbers are the ones the drawing shows.
"""
from __future__ import annotations

from typing import Any, NamedTuple



class Neighbour(NamedTuple):
    """An architecture one edit away: what changed in words, the operation it brings (for its colour)."""

    edit: str
    op: str
    arch: Any


# ---- NB201: one of 5 operations on each of 6 edges ----------------------------------------------------------

def nb201_edges() -> list[str]:
    from swap_engine.spaces.nb201 import EDGES

    return [f"{a}→{b}" for a, b in EDGES]


def nb201_set(arch: tuple, position: int, op: str) -> tuple:
    from swap_engine.spaces.nb201 import OPS

    if op not in OPS:
        raise ValueError(f"{op} is not an NB201 operation ({', '.join(OPS)})")
    return arch[:position] + (op,) + arch[position + 1:]


def nb201_neighbours(arch: tuple) -> list[Neighbour]:
    from swap_engine.spaces.nb201 import OPS

    return [Neighbour(f"edge {edge}: {arch[k]} → {op}", op, nb201_set(arch, k, op))
            for k, edge in enumerate(nb201_edges()) for op in OPS if op != arch[k]]


# ---- DARTS: two (operation, input) pairs per node, in a normal and a reduce cell ---------------------------

def darts_set(arch, cell: str, position: int, op: str | None = None, source: int | None = None):
    """The genotype with one pair of one cell changed (its operation, its input node or both)."""
    from swap_engine.spaces.darts import validate

    pairs = getattr(arch, cell)
    old_op, old_source = pairs[position]
    pair = (old_op if op is None else op, old_source if source is None else source)
    changed = arch._replace(**{cell: pairs[:position] + (pair,) + pairs[position + 1:]})
    try:
        return validate(changed)
    except ValueError as err:
        raise ValueError(f"That edit would leave the {cell} cell invalid: {err}.") from None


def darts_neighbours(arch) -> list[Neighbour]:
    from swap_engine.spaces.darts import OPS

    found = []
    for cell in ("normal", "reduce"):
        for position, (op, source) in enumerate(getattr(arch, cell)):
            node = 2 + position // 2
            where = f"{cell} node {node}, input {position % 2 + 1}"
            found += [Neighbour(f"{where}: {op} → {other}", other, darts_set(arch, cell, position, op=other))
                      for other in OPS if other != op]
            for other in range(node):
                if other != source:
                    try:
                        found.append(Neighbour(f"{where}: reads node {source} → node {other}", "input rewired",
                                               darts_set(arch, cell, position, source=other)))
                    except ValueError:
                        pass  # the rewiring leaves a node dangling: not a valid neighbour
    return found


# ---- NB101: an operation per node and the edges of a DAG of up to 7 nodes ------------------------------------

def nb101_names(n: int) -> list[str]:
    """The drawing's node names for an n-node (pruned) cell."""
    return ["input"] + [str(k) for k in range(1, n - 1)] + ["output"]


def nb101_slots(n: int) -> list[str]:
    names = nb101_names(n)
    return [f"{names[i]}→{names[j]}" for i in range(n) for j in range(i + 1, n)]


def nb101_edited(cell, edges: list[str] | None = None, ops: dict[int, str] | None = None, add_node: bool = False):
    """The pruned cell with its edges replaced by `edges` (names as `nb101_slots`), some node operations changed,
    or a new conv3x3 node fed by the input and feeding the output; the result pruned again."""
    from swap_engine.spaces import nb101

    cell = nb101.prune(cell)
    n = cell.num_nodes
    matrix = [list(row) for row in cell.matrix]
    node_ops = list(cell.ops)
    if edges is not None:
        chosen = set(edges)
        names = nb101_names(n)
        matrix = [[int(j > i and f"{names[i]}→{names[j]}" in chosen) for j in range(n)] for i in range(n)]
    for k, op in (ops or {}).items():
        node_ops[k] = op
    if add_node:
        if n >= nb101.MAX_NODES:
            raise ValueError(f"The cell has {n} nodes already; NB101 allows at most {nb101.MAX_NODES}.")
        for row in matrix:
            row.insert(n - 1, 0)
        matrix.insert(n - 1, [0] * (n + 1))
        matrix[0][n - 1] = matrix[n - 1][n] = 1
        node_ops.insert(n - 1, nb101.CONV3X3)
    edited = nb101.make_cell(matrix, node_ops)
    pruned = nb101.prune(edited)
    if pruned is None:
        raise ValueError("No path from the input to the output would remain, so the cell would compute nothing: "
                         "keep at least one chain of edges from input to output.")
    if len(pruned.edges()) > nb101.MAX_EDGES:
        raise ValueError(f"That makes {len(pruned.edges())} edges; NB101 allows at most {nb101.MAX_EDGES}. "
                         "Remove an edge first.")
    return pruned


def nb101_neighbours(cell) -> list[Neighbour]:
    from swap_engine.spaces import nb101

    cell = nb101.prune(cell)
    n = cell.num_nodes
    seen = {nb101.graph_hash(cell)}
    found = []

    def keep(edit: str, op: str, **change) -> None:
        try:
            other = nb101_edited(cell, **change)
        except ValueError:
            return  # no path or too many edges: not in the space
        key = nb101.graph_hash(other)
        if key not in seen:  # an isomorphic result is the same network as one listed already
            seen.add(key)
            found.append(Neighbour(edit, op, other))

    for k in range(1, n - 1):
        for op in nb101.INTERIOR_OPS:
            if op != cell.ops[k]:
                keep(f"node {k}: {cell.ops[k]} → {op}", op, ops={k: op})
    current = set(edges_of(cell))
    for slot in nb101_slots(n):
        if slot in current:
            keep(f"remove edge {slot}", "edge removed", edges=sorted(current - {slot}))
        else:
            keep(f"add edge {slot}", "edge added", edges=sorted(current | {slot}))
    if n < nb101.MAX_NODES:
        keep("add a conv3x3 node between input and output", nb101.CONV3X3, add_node=True)
    return found


def edges_of(cell) -> list[str]:
    """The pruned cell's edges by the drawing's node names."""
    from swap_engine.spaces import nb101

    cell = nb101.prune(cell)
    names = nb101_names(cell.num_nodes)
    return [f"{names[i]}→{names[j]}" for i, j in cell.edges()]


def _editors() -> dict:
    """Each editable space's class -> its neighbours (this module sits above the space modules it edits)."""
    from swap_engine.spaces.darts import DartsSpace
    from swap_engine.spaces.nb101 import NB101Space
    from swap_engine.spaces.nb201 import NB201Space

    return {NB201Space: nb201_neighbours, DartsSpace: darts_neighbours, NB101Space: nb101_neighbours}


def is_editable(space_name: str) -> bool:
    """Whether the space's cells can be edited one step at a time (it has `neighbours`)."""
    from swap_engine import spaces

    return type(spaces.get(space_name)) in _editors()


def editable() -> tuple[str, ...]:
    """The spaces whose cells can be edited one step at a time."""
    from swap_engine import spaces

    return tuple(name for name in spaces.names() if is_editable(name))


def neighbours(space_name: str, arch) -> list[Neighbour]:
    """Every architecture one edit away (24 for NB201: 6 edges x 4 other operations), each valid and distinct."""
    from swap_engine import spaces

    space = spaces.get(space_name)
    editor = _editors().get(type(space))
    if editor is None:
        raise ValueError(f"no editor for {space_name}; editable: {', '.join(editable())}")
    return editor(arch)


def truth_key(space_name: str, arch) -> Any:
    """What identifies an architecture in its benchmark table (`SearchSpace.benchmark_key`): NB201's index,
    NB101's graph hash (isomorphic cells are the same network), DARTS' genotype text."""
    from swap_engine import spaces

    return spaces.get(space_name).benchmark_key(arch)


__all__ = ["Neighbour", "darts_neighbours", "darts_set", "edges_of", "editable", "is_editable", "nb101_edited",
           "nb101_names", "nb101_neighbours", "nb101_slots", "nb201_edges", "nb201_neighbours", "nb201_set",
           "neighbours", "truth_key"]
