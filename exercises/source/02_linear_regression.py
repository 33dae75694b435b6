# gdcourse-exercise: 02
# %% [markdown]
# # Exercise 02: linear regression with the seven steps
#
# In the lecture the seven steps fitted a parabola to one input, time. Here the same
# steps fit a **line in several dimensions**: each example has $D$ features
# $x = (x_1, \dots, x_D)$ and the model predicts
#
# $$\hat y = \theta \cdot x + \theta_0 = \theta_1 x_1 + \dots + \theta_D x_D + \theta_0 .$$
#
# All $D + 1$ numbers live in one tensor `params` of shape `(D + 1,)`: the weights
# $\theta_1, \dots, \theta_D$ first, the intercept $\theta_0$ last.
#
# Fill in each function where it says `raise NotImplementedError(...)`, then run the
# check cell under it. The checks compare your answers with exact results (the formula,
# the same steps taken by the grader, least squares), so they tell you *what* differs.
#
# **Descend, do not solve.** `fit_linear` takes gradient-descent steps: the grader reads
# your code, and a solver in it (`lstsq`, `solve`, `pinv`, an inverse) scores 0 for that
# task; `check()` tells you so before you hand it in.

# %%
import torch

import gdcourse as gd
from gdcourse.grading import check

# %% [markdown]
# ## Data
#
# A design matrix `X` of shape `(N, D)` with standardized columns, and targets from a
# known line plus noise. The grader uses other data of the same kind, so your functions
# must work for any `N` and `D`.

# %%
gd.set_seed(0)
gen = torch.Generator().manual_seed(0)
N, D = 100, 3
X = torch.randn(N, D, generator=gen)
true_theta, true_theta0 = torch.tensor([2.0, -1.0, 0.5]), 3.0
y = X @ true_theta + true_theta0 + 0.3 * torch.randn(N, generator=gen)
print(X.shape, y.shape)

# %% [markdown]
# ## Task 1: the model (step 2, predict)
#
# Write `linear(X, params)`. Use one matrix product, not a Python loop over examples:
# `(N, D) @ (D,) -> (N,)`. Return shape `(N,)`, not `(N, 1)` (the loss would broadcast
# an `(N, 1)` against `(N,)` into an `(N, N)` grid without complaint).

# %%
def linear(X: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Predictions of a linear model: preds = X @ theta + theta_0.

    Args:
        X: inputs, shape (N, D).
        params: [theta_1, ..., theta_D, theta_0], shape (D + 1,).

    Returns:
        preds, shape (N,).
    """
    ### BEGIN SOLUTION
    return X @ params[:-1] + params[-1]
    ### END SOLUTION


# %%
check("02", linear)

# %% [markdown]
# ## Task 2: the seven steps
#
# Write `fit_linear(X, y, lr=..., steps=..., seed=...)`:
#
# 1. **init**: `params = gd.init_params(D + 1, seed=seed)` (exactly this, so the grader
#    can replay your steps);
# 2. **predict** with `linear`;
# 3. **loss**: the mean squared error, `gd.mse(preds, y)`;
# 4. **gradient**: `loss.backward()`;
# 5. **step**: `params <- params - lr * params.grad`, then clear the gradient
#    (`gd.step(params, lr)` does both);
# 6. **repeat** `steps` times;
# 7. **stop** and return the parameters (detached).

# %%
def fit_linear(X: torch.Tensor, y: torch.Tensor, *, lr: float = 0.1, steps: int = 200,
               seed: int = 0) -> torch.Tensor:
    """Fit ``linear`` to (X, y) by gradient descent on the MSE.

    Args:
        X: inputs, shape (N, D).
        y: targets, shape (N,).
        lr: the learning rate.
        steps: how many gradient steps to take.
        seed: the seed of ``gd.init_params``.

    Returns:
        params after ``steps`` steps, shape (D + 1,).
    """
    ### BEGIN SOLUTION
    params = gd.init_params(X.shape[1] + 1, seed=seed, dtype=X.dtype)
    for _ in range(steps):
        loss = gd.mse(linear(X, params), y)
        loss.backward()
        gd.step(params, lr)
    return params.detach()
    ### END SOLUTION


# %%
check("02", fit_linear)

# %% [markdown]
# ## Compare with the exact answer
#
# Least squares solves this problem in one shot. After enough steps, gradient descent
# should agree with it to a few decimals.

# %%
params = fit_linear(X, y, lr=0.1, steps=300)
X1 = torch.cat([X, torch.ones(N, 1)], dim=1)  # a column of ones for theta_0
exact = torch.linalg.lstsq(X1, y.unsqueeze(-1)).solution
print(params)
print(exact.squeeze(-1))

# %% [markdown]
# ## Check everything
#
# This runs every public check of the exercise. Your instructor grades with these and
# with hidden checks on other data.

# %%
check("02")
