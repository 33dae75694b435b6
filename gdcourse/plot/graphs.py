"""Computation graphs of scalar autograd engines, drawn with plain matplotlib (lecture 04).

    from gdcourse.plot import draw_graph
    loss.backward()
    draw_graph(loss, names={a: "a", b: "b"}, title="after backward")

Any node type works that has ``value``, ``grad``, ``op`` and ``edges`` (pairs of
``(input, local_grad)``): the lecture's own ``Value`` and the package's ``Scalar`` alike.
No graphviz: the layout is computed here. Column k holds the nodes k steps back from the
output (the longest path), so every arrow points right, towards the output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError

if TYPE_CHECKING:  # matplotlib loads with the first figure, not at import
    from matplotlib.axes import Axes

__all__ = ["draw_graph", "graph_layout"]

#: the widest figure the course book's column shows at full size, in inches
MAX_WIDTH = 7.5
#: a graph with more nodes than this would be unreadable at the book's width
MAX_NODES = 40


def graph_layout(root: Any) -> dict[Any, tuple[float, float]]:
    """Where each node of ``root``'s graph sits: ``{node: (column, row)}``.

    Column 0 is the output; an input sits one column left of its furthest-left user, so
    arrows always point right. Rows are centred on 0, one unit apart, in the order the
    nodes were first reached from the output (a node's inputs in the order of its edges).
    """
    order = _topological_order(root)
    depth = {root: 0}
    for node in reversed(order):  # users before their inputs
        for child, _ in node.edges:
            depth[child] = max(depth.get(child, 0), depth[node] + 1)
    columns: dict[int, list[Any]] = {}
    for node in order:
        columns.setdefault(depth[node], []).append(node)
    return {node: (-float(k), (len(col) - 1) / 2 - i)
            for k, col in columns.items() for i, node in enumerate(col)}


def draw_graph(root: Any, ax: Axes | None = None, *, names: Mapping[Any, str] | None = None,
               title: str | None = None, fmt: str = ".4g") -> Axes:
    """Draw ``root``'s graph: a box per node, an arrow per edge labelled with its local grad.

    Each box shows the node's name (``names[node]``, else its ``label`` attribute, else its
    op), the op that made it, its ``value`` and its ``grad``. Each arrow runs from an input
    to the node that used it, labelled in blue with d node / d input. An arrow that skips a
    column arcs over the boxes in between.

    Args:
        root: the output node (anything with ``value``, ``grad``, ``op``, ``edges``).
        ax: where to draw (a new figure, at most 7.5 inches wide, when None).
        names: labels for nodes that carry no ``label`` of their own (``Scalar`` has none).
        title: the figure's title.
        fmt: format of values, grads and local gradients.

    Returns:
        The Axes.

    Raises:
        InvalidArgumentError: the graph has more than 40 nodes (unreadable as a picture).
    """
    pos = graph_layout(root)
    if len(pos) > MAX_NODES:
        raise InvalidArgumentError(
            f"the graph has {len(pos)} nodes; draw_graph draws at most {MAX_NODES} "
            "readably; draw a smaller piece of it (one neuron, one sample)")
    names = names or {}
    n_cols = 1 + int(-min(x for x, _ in pos.values()))
    n_rows = 1 + int(max(y for _, y in pos.values()) - min(y for _, y in pos.values()))
    if ax is None:
        import matplotlib.pyplot as plt

        width = min(MAX_WIDTH, 1.9 * n_cols + 0.4)
        _, ax = plt.subplots(figsize=(width, 1.15 * n_rows + 0.8))
    # x runs in columns, y in rows; fixing the limits first fixes the data-to-screen map
    ys = [y for _, y in pos.values()]
    ax.set_xlim(-(n_cols - 1) - 0.55, 0.55)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.axis("off")
    for node in pos:
        for child, local_grad in node.edges:
            _draw_edge(ax, pos[child], pos[node], format(local_grad, fmt))
    for node, (x, y) in pos.items():
        label = names.get(node) or getattr(node, "label", "") or ""
        head = f"{label} = {node.op}" if label and node.op else label or node.op or "leaf"
        ax.text(x, y, f"{head}\n{format(node.value, fmt)}\ngrad {format(node.grad, fmt)}",
                ha="center", va="center", fontsize=9, zorder=3,
                bbox=dict(boxstyle="round", fc="white", ec="black"))
    ax.set_title(f"{title}\n" if title else "", fontsize=11)
    ax.text(0.5, 1.0, "blue: the local gradient on each edge", transform=ax.transAxes,
            ha="center", va="bottom", fontsize=9, color="tab:blue")
    return ax


def _draw_edge(ax: Axes, start: tuple[float, float], end: tuple[float, float],
               text: str) -> None:
    (x0, y0), (x1, y1) = start, end
    bend = -0.25 if x1 - x0 > 1 else 0.0  # an edge that skips a column arcs over it
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=1,
                arrowprops=dict(arrowstyle="->", color="gray", shrinkA=26, shrinkB=26,
                                connectionstyle=f"arc3,rad={bend}"))
    # arc3 bends the edge on screen, so its midpoint is found on screen too
    (sx0, sy0), (sx1, sy1) = ax.transData.transform([(x0, y0), (x1, y1)])
    mid = ((sx0 + sx1) / 2 + bend * (sy1 - sy0) / 2, (sy0 + sy1) / 2 - bend * (sx1 - sx0) / 2)
    lx, ly = ax.transData.inverted().transform(mid)
    ax.text(lx, ly, text, color="tab:blue", ha="center", va="bottom", fontsize=9, zorder=2)


def _topological_order(root: Any) -> list[Any]:
    """Every node of root's graph, each after its inputs (iterative: no recursion limit)."""
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child, _ in reversed(node.edges))
    return order
