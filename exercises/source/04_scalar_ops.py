# gdcourse-exercise: 04
# %% [markdown]
# # Exercise 04: Scalar ops and their local gradients
#
# The lecture's `Scalar` remembers, for every result, which Scalars it came from and the
# **local gradient** of the result with respect to each of them. `backward()` then walks
# the graph from the output back to the inputs and applies the chain rule:
# `parent.grad += local_gradient * child.grad`.
#
# A compact version of that engine is given below with `+` and `*`. Add four functions,
# each computing its value and its local gradient:
#
# | function | value | local gradient |
# |---|---|---|
# | `exp(x)` | $e^x$ | $e^x$ |
# | `log(x)` | $\ln x$ | $1 / x$ |
# | `tanh(x)` | $\tanh x$ | $1 - \tanh^2 x$ |
# | `sigmoid(x)` | $\sigma(x) = 1 / (1 + e^{-x})$ | $\sigma(x)(1 - \sigma(x))$ |
#
# The checks run your functions, call `backward()`, and compare both the value and
# `x.grad` with torch in float64.
#
# **Build it yourself.** The grader reads your code: a task that uses the package's own
# engine (`gdcourse.scratch`), directly or through an alias or subclass, scores 0 for that
# task, and `check()` tells you so before you hand it in. `math` is yours to use.

# %%
import math

from gdcourse.grading import check

# %% [markdown]
# ## The engine (given)

# %%
class Scalar:
    """A number that records how it was computed, for reverse-mode differentiation.

    Attributes:
        value: the number (a float).
        grad: d(output)/d(this), filled by ``backward()`` on the output.
        parents: pairs (parent Scalar, local gradient d(this)/d(parent)).
    """

    def __init__(self, value, parents=()):
        self.value = float(value)
        self.grad = 0.0
        self.parents = tuple(parents)

    def __add__(self, other):
        other = other if isinstance(other, Scalar) else Scalar(other)
        return Scalar(self.value + other.value, ((self, 1.0), (other, 1.0)))

    def __mul__(self, other):
        other = other if isinstance(other, Scalar) else Scalar(other)
        local = ((self, other.value), (other, self.value))
        return Scalar(self.value * other.value, local)

    __radd__, __rmul__ = __add__, __mul__

    def backward(self):
        """Fill ``.grad`` of every Scalar this one depends on (an iterative
        topological sort, so deep graphs do not hit Python's recursion limit)."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent, _ in node.parents)
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in node.parents:
                parent.grad += local * node.grad

    def __repr__(self):
        return f"Scalar({self.value:.6g}, grad={self.grad:.6g})"


a = Scalar(2.0)
b = a * a + a
b.backward()
print(b, a)  # d(a^2 + a)/da = 2a + 1 = 5

# %% [markdown]
# ## Task 1: exp and log

# %%
def exp(x: Scalar) -> Scalar:
    """e^x, with local gradient e^x."""
    ### BEGIN SOLUTION
    out = math.exp(x.value)
    return Scalar(out, ((x, out),))
    ### END SOLUTION


def log(x: Scalar) -> Scalar:
    """The natural logarithm (x > 0), with local gradient 1 / x."""
    ### BEGIN SOLUTION
    return Scalar(math.log(x.value), ((x, 1.0 / x.value),))
    ### END SOLUTION


# %%
check("04", exp, log)

# %% [markdown]
# ## Task 2: tanh and sigmoid
#
# Write each local gradient in terms of the output (it is already computed). For
# `sigmoid`, avoid `math.exp(-x)` when `x` is very negative: `math.exp(800)` overflows.
# For $x < 0$ use the equal form $e^x / (1 + e^x)$.

# %%
def tanh(x: Scalar) -> Scalar:
    """tanh(x), with local gradient 1 - tanh(x)^2."""
    ### BEGIN SOLUTION
    out = math.tanh(x.value)
    return Scalar(out, ((x, 1.0 - out * out),))
    ### END SOLUTION


def sigmoid(x: Scalar) -> Scalar:
    """1 / (1 + e^-x), computed without overflow, with local gradient s (1 - s)."""
    ### BEGIN SOLUTION
    if x.value >= 0:
        out = 1.0 / (1.0 + math.exp(-x.value))
    else:
        e = math.exp(x.value)
        out = e / (1.0 + e)
    return Scalar(out, ((x, out * (1.0 - out)),))
    ### END SOLUTION


# %%
check("04", tanh, sigmoid)

# %% [markdown]
# ## Check everything
#
# The last check builds `sigmoid(tanh(x) * exp(x * 0.5)) + log(x * x + 1)` from your
# functions and compares the gradient `backward()` finds with torch autograd.

# %%
check("04")
