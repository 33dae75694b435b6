# gdcourse-exercise: 05
# %% [markdown]
# # Exercise 05: logistic regression on two blobs
#
# Two clouds of 2-D points, label 0 and label 1. A linear model gives each point a score
# $z = w \cdot x + b$; the **sigmoid** squashes it into a probability
# $p = \sigma(z) = 1 / (1 + e^{-z})$ that the label is 1; the **binary cross-entropy**
# $L = -\frac1N \sum_i \big(y_i \log p_i + (1 - y_i) \log(1 - p_i)\big)$ measures how far
# the probabilities are from the labels. Then the seven steps do the rest.
#
# `params` has shape `(D + 1,)`: the weights first, the bias last.

# %%
import torch

import gdcourse as gd
from gdcourse.grading import check

gd.set_seed(0)
gen = torch.Generator().manual_seed(0)
y = (torch.arange(200) % 2).float()
X = torch.randn(200, 2, generator=gen) + (2 * y[:, None] - 1) * 1.5
print(X.shape, y.shape, y.mean())

# %% [markdown]
# ## Task 1: sigmoid and binary cross-entropy
#
# Use tensor operations. `sigmoid` must give 0 and 1 (not nan) at $z = \mp 1000$.

# %%
def sigmoid(z: torch.Tensor) -> torch.Tensor:
    """1 / (1 + exp(-z)), elementwise; same shape as z."""
    ### BEGIN SOLUTION
    return 1 / (1 + torch.exp(-z))
    ### END SOLUTION


def bce(probs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of probabilities ``probs`` (N,) against labels
    ``y`` (N,).

    Clamp ``probs`` into [1e-7, 1 - 1e-7] first: in float32 a confident prediction
    rounds to exactly 0 or 1, and log(0) would turn the loss and every gradient into
    nan.
    """
    ### BEGIN SOLUTION
    probs = probs.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(probs) + (1 - y) * torch.log(1 - probs)).mean()
    ### END SOLUTION


# %%
check("05", sigmoid, bce)

# %% [markdown]
# ## Task 2: the model

# %%
def predict_proba(X: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """P(label = 1) for each row of X (N, D), params = [w_1..w_D, b]: shape (N,)."""
    ### BEGIN SOLUTION
    return sigmoid(X @ params[:-1] + params[-1])
    ### END SOLUTION


# %%
check("05", predict_proba)

# %% [markdown]
# ## Task 3: fit it
#
# The seven steps once more: `params = gd.init_params(D + 1, seed=seed)`, then `steps`
# times predict, `bce`, `backward()`, `params <- params - lr * grad` (`gd.step` does it).

# %%
def fit_logistic(X: torch.Tensor, y: torch.Tensor, *, lr: float = 1.0, steps: int = 300,
                 seed: int = 0) -> torch.Tensor:
    """Logistic regression by gradient descent on the BCE; returns params (D + 1,)."""
    ### BEGIN SOLUTION
    params = gd.init_params(X.shape[1] + 1, seed=seed, dtype=X.dtype)
    for _ in range(steps):
        bce(predict_proba(X, params), y).backward()
        gd.step(params, lr)
    return params.detach()
    ### END SOLUTION


# %%
params = fit_logistic(X, y)
accuracy = ((predict_proba(X, params) > 0.5).float() == y).float().mean()
print(f"params {params.tolist()}, accuracy {accuracy:.1%}")
check("05", fit_logistic)

# %% [markdown]
# ## Check everything

# %%
check("05")
