# gdcourse-exercise: 01
# %% [markdown]
# # Exercise 01: MSE, grid search and a gradient by hand
#
# A shop lists belt sizes in inches and in centimetres. Pretend you do not know that one
# inch is 2.54 cm and find the multiplier `w` in `cm = w * inches` from the data, first by
# trying many values (grid search), then with the gradient of the loss, worked out by hand
# and checked against `torch.func.grad`.
#
# Fill in each `raise NotImplementedError(...)` and run the check cell under it.
#
# **By hand means by hand.** The grader reads your code: in `grad_by_hand` and
# `grad_line_by_hand`, autograd (`.backward()`, `torch.autograd`) and `torch.func` score 0
# for that task, and `check()` tells you so before you hand it in. The grader also runs
# your functions on data drawn afresh, so they must work for any inputs of the same kind.

# %%
import torch

import gdcourse as gd
from gdcourse.grading import check

gd.set_seed(0)
belt_in = torch.tensor([30.5, 32.5, 34.5, 36.5, 38.5, 40.5, 42.5, 44.5, 46.5, 48.5])
belt_cm = torch.tensor(
    [77.0, 83.0, 88.0, 93.0, 98.0, 103.0, 108.0, 113.0, 118.0, 123.0]
)

# %% [markdown]
# ## Task 1: the mean squared error
#
# $$L = \frac{1}{N} \sum_i (\hat y_i - y_i)^2$$
#
# One number that says how wrong a whole set of guesses is. Use tensor operations, no loop.

# %%
def mse(preds: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The mean squared error of ``preds`` against ``targets``.

    Args:
        preds: guesses, shape (N,).
        targets: true values, shape (N,).

    Returns:
        A 0-dim tensor.
    """
    ### BEGIN SOLUTION
    return ((preds - targets) ** 2).mean()
    ### END SOLUTION


# %%
check("01", mse)

# %% [markdown]
# ## Task 2: grid search
#
# Try every multiplier in `ws`, compute the loss of `y ~ w * x` for each, and return the
# best multiplier with all the losses. A grid is fine for one parameter; with five
# parameters and 50 values each it would need $50^5 \approx 3 \times 10^8$ evaluations.

# %%
def grid_search(x: torch.Tensor, y: torch.Tensor, ws: torch.Tensor):
    """Grid search for the multiplier of y ~ w * x.

    Args:
        x: inputs, shape (N,).
        y: targets, shape (N,).
        ws: candidate multipliers, shape (W,).

    Returns:
        (best_w, losses): the w with the smallest MSE (a float or 0-dim tensor),
        and the MSE of every candidate, shape (W,).
    """
    ### BEGIN SOLUTION
    losses = torch.stack([mse(w * x, y) for w in ws])
    return ws[losses.argmin()], losses
    ### END SOLUTION


# %%
check("01", grid_search)

# %% [markdown]
# ## Task 3: the gradient, by hand
#
# For $L(w) = \frac1N \sum_i (w x_i - y_i)^2$ the chain rule gives
# $\frac{dL}{dw} = \frac1N \sum_i 2 (w x_i - y_i) x_i$. Write it with tensor operations;
# the check compares it with `torch.func.grad` at several `w`.

# %%
def grad_by_hand(w: float, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """dL/dw of the MSE of y ~ w * x, from the formula (no autograd).

    Args:
        w: the multiplier.
        x, y: the data, shape (N,).

    Returns:
        A 0-dim tensor.
    """
    ### BEGIN SOLUTION
    return (2 * (w * x - y) * x).mean()
    ### END SOLUTION


# %%
loss = lambda w: mse(w * belt_in, belt_cm)  # noqa: E731
print(grad_by_hand(1.5, belt_in, belt_cm), torch.func.grad(loss)(torch.tensor(1.5)))
check("01", grad_by_hand)

# %% [markdown]
# ## Task 4: two parameters
#
# Now the model is $\hat y = a x + b$. Work out $\partial L / \partial a$ and
# $\partial L / \partial b$ and return both in one tensor `[dL/da, dL/db]`.

# %%
def grad_line_by_hand(
    params: torch.Tensor, x: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    """[dL/da, dL/db] of the MSE of y ~ a * x + b, from the formula (no autograd).

    Args:
        params: [a, b], shape (2,).
        x, y: the data, shape (N,).

    Returns:
        The gradient, shape (2,).
    """
    ### BEGIN SOLUTION
    a, b = params
    err = a * x + b - y
    return torch.stack([(2 * err * x).mean(), (2 * err).mean()])
    ### END SOLUTION


# %%
check("01", grad_line_by_hand)

# %% [markdown]
# ## Check everything

# %%
check("01")
