# gdcourse-exercise: 06
# %% [markdown]
# # Exercise 06: momentum and Adam from scratch
#
# Plain gradient descent takes the step $-\eta\, g_t$. Two better steps:
#
# **Momentum** keeps a velocity, a running sum of past gradients, and steps along it
# (this is the form `torch.optim.SGD(momentum=beta)` uses):
#
# $$v_t = \beta v_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, v_t, \qquad v_0 = 0.$$
#
# **Adam** keeps running means of the gradient and of its square, corrects their bias
# towards 0 in the first steps, and divides:
#
# $$m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$$
# $$\hat m_t = m_t / (1 - \beta_1^t), \qquad \hat v_t = v_t / (1 - \beta_2^t), \qquad
# \theta_t = \theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon).$$
#
# Write both as classes used exactly like torch.optim optimizers: built from a list of
# parameter tensors, `zero_grad()` clears `p.grad`, `step()` reads `p.grad` and updates
# each `p` in place (under `torch.no_grad()`). The checks feed your optimizer and
# torch's the same gradients and compare every step.
#
# **Build it yourself.** The grader reads your code: a class that uses `torch.optim` or
# `gdcourse.optim` (calling, wrapping or subclassing their optimizers) scores 0, and
# `check()` tells you so before you hand it in. Torch tensors and their operations are
# yours to use; the comparison cell at the end uses `torch.optim` itself, which is fine.

# %%
import torch

import gdcourse as gd
from gdcourse.grading import check

gd.set_seed(0)

# %% [markdown]
# ## Task 1: momentum

# %%
class Momentum:
    """Gradient descent with momentum: v <- beta v + g; p <- p - lr v."""

    def __init__(self, params, *, lr: float, beta: float = 0.9):
        self.params = list(params)
        self.lr, self.beta = lr, beta
        ### BEGIN SOLUTION
        self.velocity = [torch.zeros_like(p) for p in self.params]
        ### END SOLUTION

    def zero_grad(self):
        """Forget the gradients of the last step."""
        ### BEGIN SOLUTION
        for p in self.params:
            p.grad = None
        ### END SOLUTION

    @torch.no_grad()
    def step(self):
        """One update of every parameter from its ``.grad``."""
        ### BEGIN SOLUTION
        for p, v in zip(self.params, self.velocity):
            v.mul_(self.beta).add_(p.grad)
            p.sub_(self.lr * v)
        ### END SOLUTION


# %%
check("06", Momentum)

# %% [markdown]
# ## Task 2: Adam
#
# Keep a step counter `t` (starting at 0, incremented at the start of each `step`) for
# the bias corrections.

# %%
class Adam:
    """Adam: bias-corrected running means of g and g^2 set the size of each step."""

    def __init__(self, params, *, lr: float = 1e-3, betas=(0.9, 0.999),
                 eps: float = 1e-8):
        self.params = list(params)
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        ### BEGIN SOLUTION
        self.t = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        ### END SOLUTION

    def zero_grad(self):
        """Forget the gradients of the last step."""
        ### BEGIN SOLUTION
        for p in self.params:
            p.grad = None
        ### END SOLUTION

    @torch.no_grad()
    def step(self):
        """One update of every parameter from its ``.grad``."""
        ### BEGIN SOLUTION
        self.t += 1
        for p, m, v in zip(self.params, self.m, self.v):
            m.mul_(self.beta1).add_(p.grad, alpha=1 - self.beta1)
            v.mul_(self.beta2).addcmul_(p.grad, p.grad, value=1 - self.beta2)
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))
        ### END SOLUTION


# %%
check("06", Adam)

# %% [markdown]
# ## Try them on a valley
#
# A long narrow valley $f(a, b) = a^2 + 20 b^2$: plain steps zig-zag across it, momentum
# and Adam get along it faster.

# %%
for make in (lambda p: torch.optim.SGD(p, lr=0.02), lambda p: Momentum(p, lr=0.02),
             lambda p: Adam(p, lr=0.3)):
    params = torch.tensor([-4.0, 1.0], requires_grad=True)
    opt = make([params])
    for _ in range(50):
        opt.zero_grad()
        loss = params[0] ** 2 + 20 * params[1] ** 2
        loss.backward()
        opt.step()
    print(type(opt).__name__, f"loss after 50 steps: {loss.item():.2e}")

# %% [markdown]
# ## Check everything

# %%
check("06")
