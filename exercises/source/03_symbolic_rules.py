# gdcourse-exercise: 03
# %% [markdown]
# # Exercise 03: derivative rules, `val` and a simplifier
#
# The lecture built expressions as trees: a leaf is a constant or a symbol, an inner node
# is an operator with two children. `val` walks the tree to get a number, `d` walks it to
# build the tree of the derivative. The classes below handle `+`, `*` and `log` already.
# Your tasks:
#
# 1. `val` for `-`, `/` and `**`;
# 2. the derivative rules for `-`, `/` and `**` in `d`;
# 3. `simplify`, which tidies the trees `d` produces.
#
# The checks evaluate your trees at many points and compare with torch autograd, so any
# correct form of a derivative passes.
#
# **Build it yourself.** The grader reads your code: a task that uses the lecture's own
# engine (`gdcourse.scratch.symbolic`), directly or through an alias or subclass, scores 0
# for that task, and `check()` tells you so before you hand it in.

# %%
import math

from gdcourse.grading import check

# %% [markdown]
# ## The expression classes (given)
#
# Python operators build trees: `x * 2 + 1` is `BinOp("+", BinOp("*", x, Const(2)),
# Const(1))`. Numbers are wrapped in `Const` on the way in.

# %%
class Expr:
    """An expression tree; +, -, *, /, ** on it build bigger trees."""

    def __add__(self, other): return BinOp("+", self, expr(other))
    def __radd__(self, other): return BinOp("+", expr(other), self)
    def __sub__(self, other): return BinOp("-", self, expr(other))
    def __rsub__(self, other): return BinOp("-", expr(other), self)
    def __mul__(self, other): return BinOp("*", self, expr(other))
    def __rmul__(self, other): return BinOp("*", expr(other), self)
    def __truediv__(self, other): return BinOp("/", self, expr(other))
    def __rtruediv__(self, other): return BinOp("/", expr(other), self)
    def __pow__(self, other): return BinOp("**", self, expr(other))
    def __rpow__(self, other): return BinOp("**", expr(other), self)
    def __neg__(self): return BinOp("*", Const(-1), self)


class Const(Expr):
    """A number."""

    def __init__(self, value): self.value = float(value)
    def __repr__(self): return f"{self.value:g}"


class Sym(Expr):
    """A symbol such as x, looked up in the environment by ``val``."""

    def __init__(self, name): self.name = name
    def __repr__(self): return self.name


class Log(Expr):
    """The natural logarithm of an expression."""

    def __init__(self, a): self.a = a
    def __repr__(self): return f"log({self.a})"


class BinOp(Expr):
    """``a op b`` with op one of + - * / **."""

    def __init__(self, op, a, b): self.op, self.a, self.b = op, a, b
    def __repr__(self): return f"({self.a} {self.op} {self.b})"


def expr(value):
    """``value`` as an expression (numbers become Const)."""
    return value if isinstance(value, Expr) else Const(value)


def log(e):
    return Log(expr(e))


def params(names: str) -> list:
    """Symbols from a space-separated string: ``x, y = params("x y")``."""
    return [Sym(n) for n in names.split()]


x, y = params("x y")
print(3 * x ** 2 + y)

# %% [markdown]
# ## Task 1: `val` for `-`, `/` and `**`

# %%
def val(e, env: dict) -> float:
    """The value of expression ``e`` with symbols bound by ``env`` ({"x": 2.0, ...})."""
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Sym):
        return env[e.name]
    if isinstance(e, Log):
        return math.log(val(e.a, env))
    a, b = val(e.a, env), val(e.b, env)
    if e.op == "+":
        return a + b
    if e.op == "*":
        return a * b
    if e.op == "-":
        ### BEGIN SOLUTION
        return a - b
        ### END SOLUTION
    if e.op == "/":
        ### BEGIN SOLUTION
        return a / b
        ### END SOLUTION
    if e.op == "**":
        ### BEGIN SOLUTION
        return a ** b
        ### END SOLUTION
    raise ValueError(f"unknown operator {e.op!r}")


# %%
check("03", val)

# %% [markdown]
# ## Task 2: derivative rules
#
# With $a' = \partial a / \partial x$ and $b' = \partial b / \partial x$:
#
# * difference: $(a - b)' = a' - b'$
# * quotient: $(a / b)' = (a' b - a b') / b^2$
# * power with a **constant** exponent $n$: $(a^n)' = n a^{n-1} a'$
# * power in general: $(a^b)' = a^b (b' \log a + b a' / a)$
#
# Keep the constant-exponent case separate: the general rule needs $\log a$, which does
# not exist for $a \le 0$, while $x^3$ has a derivative everywhere. (A popular scalar
# engine uses $\log|a|$ there, which still fails at $a = 0$.)

# %%
def d(e, x: str):
    """The derivative of ``e`` with respect to the symbol named ``x``, an expression."""
    if isinstance(e, Const):
        return Const(0)
    if isinstance(e, Sym):
        return Const(1 if e.name == x else 0)
    if isinstance(e, Log):
        return d(e.a, x) / e.a
    a, b = e.a, e.b
    da, db = d(a, x), d(b, x)
    if e.op == "+":
        return da + db
    if e.op == "*":
        return da * b + a * db
    if e.op == "-":
        ### BEGIN SOLUTION
        return da - db
        ### END SOLUTION
    if e.op == "/":
        ### BEGIN SOLUTION
        return (da * b - a * db) / b ** 2
        ### END SOLUTION
    if e.op == "**":
        ### BEGIN SOLUTION
        if isinstance(b, Const):
            return b * a ** Const(b.value - 1) * da
        return e * (db * log(a) + b * da / a)
        ### END SOLUTION
    raise ValueError(f"unknown operator {e.op!r}")


# %%
check("03", d)

# %% [markdown]
# ## Task 3: simplify
#
# `d` writes every rule out in full, so `d(3 * x ** 2, "x")` is full of `* 1`, `* 0` and
# `+ 0`. Write `simplify(e)`: simplify the children first, then
#
# * compute any operator whose two children are constants (and `log` of a constant);
# * `a + 0`, `0 + a`, `a - 0`, `a * 1`, `1 * a`, `a / 1`, `a ** 1` -> `a`;
# * `a * 0`, `0 * a`, `0 / a` -> `0`, and `a ** 0` -> `1`.

# %%
def simplify(e):
    """A smaller expression with the same value everywhere ``e`` is defined."""
    ### BEGIN SOLUTION
    if isinstance(e, Log):
        a = simplify(e.a)
        return Const(math.log(a.value)) if isinstance(a, Const) else Log(a)
    if not isinstance(e, BinOp):
        return e
    a, b = simplify(e.a), simplify(e.b)
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(val(BinOp(e.op, a, b), {}))

    def is_(t, number):
        return isinstance(t, Const) and t.value == number

    if e.op == "+" and is_(a, 0) or e.op in "+-" and is_(b, 0):
        return b if is_(a, 0) and e.op == "+" else a
    if e.op == "*" and (is_(a, 0) or is_(b, 0)) or e.op == "/" and is_(a, 0):
        return Const(0)
    if e.op == "*" and is_(a, 1):
        return b
    if e.op in ("*", "/", "**") and is_(b, 1):
        return a
    if e.op == "**" and is_(b, 0):
        return Const(1)
    return BinOp(e.op, a, b)
    ### END SOLUTION


# %%
print(d(3 * x ** 2 + 2 * x + 1, "x"))
print(simplify(d(3 * x ** 2 + 2 * x + 1, "x")))
check("03", simplify)

# %% [markdown]
# ## Check everything

# %%
check("03")
