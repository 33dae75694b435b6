"""Computation-graph drawings (lecture 04): layout, labels, size limits."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from gdcourse.errors import InvalidArgumentError
from gdcourse.plot import draw_graph
from gdcourse.plot.graphs import MAX_WIDTH, graph_layout
from gdcourse.scratch.scalar import Scalar, tanh


class Node:
    """A minimal engine node, as a lecture writes it: draw_graph needs only these fields."""

    def __init__(self, value, edges=(), op="", label=""):
        self.value, self.grad, self.edges, self.op, self.label = value, 0.0, edges, op, label


def _lecture_graph():
    a, b, c, f = (Node(v, label=n) for v, n in ((2.0, "a"), (-3.0, "b"), (10.0, "c"),
                                                (-2.0, "f")))
    e = Node(-6.0, ((a, -3.0), (b, 2.0)), "*", "e")
    d = Node(4.0, ((e, 1.0), (c, 1.0)), "+", "d")
    L = Node(-8.0, ((d, -2.0), (f, 4.0)), "*", "L")
    return L, {n.label: n for n in (a, b, c, d, e, f, L)}


def test_layout_puts_every_input_left_of_its_users():
    L, nodes = _lecture_graph()
    pos = graph_layout(L)
    assert set(pos) == set(nodes.values())
    assert pos[L][0] == 0.0
    assert pos[nodes["a"]][0] == pos[nodes["b"]][0] == -3.0  # a, b -> e -> d -> L
    for node in pos:
        for child, _ in node.edges:
            assert pos[child][0] < pos[node][0]
    # rows within a column are one unit apart and centred on 0
    column = sorted(y for (x, y) in pos.values() if x == -3.0)
    assert column == [-0.5, 0.5]


def test_a_reused_node_sits_left_of_its_furthest_user():
    a = Scalar(2.0)
    d = tanh(a * a) + a  # a feeds the product (3 steps back) and the sum (1 step back)
    pos = graph_layout(d)
    assert pos[a][0] == -3.0 and len(pos) == 4


def test_draw_graph_labels_boxes_and_edges():
    L, nodes = _lecture_graph()
    nodes["a"].grad = 6.0
    ax = draw_graph(L, title="by hand")
    texts = [t.get_text() for t in ax.texts]
    assert "a\n2\ngrad 6" in texts
    assert "L = *\n-8\ngrad 0" in texts
    edge_labels = [t for t in texts if "\n" not in t and t and not t.startswith("blue")]
    assert sorted(edge_labels) == sorted(["-3", "2", "1", "1", "-2", "4"])
    assert ax.get_title().startswith("by hand")
    width, _ = ax.figure.get_size_inches()
    assert width <= MAX_WIDTH
    plt.close(ax.figure)


def test_draw_graph_names_scalars_and_uses_a_given_axes():
    a, b = Scalar(2.0), Scalar(-0.5)
    d = tanh(a * b) + a
    d.backward()
    fig, ax = plt.subplots()
    assert draw_graph(d, ax, names={a: "a", b: "b"}, fmt=".3g") is ax
    texts = [t.get_text() for t in ax.texts]
    assert "a\n2\ngrad 0.79" in texts and "tanh\n-0.762\ngrad 1" in texts
    plt.close(fig)


def test_wide_graphs_stay_within_the_book_column():
    x = Scalar(1.0)
    y = x
    for _ in range(12):
        y = y * 1.5
    ax = draw_graph(y)
    assert ax.figure.get_size_inches()[0] == MAX_WIDTH
    plt.close(ax.figure)


def test_a_graph_too_big_to_read_is_refused():
    x = Scalar(1.0)
    total = sum(x * i for i in range(30))
    with pytest.raises(InvalidArgumentError, match="draws at most 40"):
        draw_graph(total)
