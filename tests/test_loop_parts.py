"""train's bookkeeping (gdcourse._loop_parts), one helper at a time."""

import math

import pytest
import torch

import gdcourse as gd
from gdcourse._loop_parts import PendingLosses, Progress, RestorePoint, StopRules, cadence
from gdcourse.history import History

# --- train's bookkeeping, one helper at a time ---------------------------------------------

@pytest.mark.parametrize("steps, device, record, sync, exact, expected", [
    (1000, "cpu", None, None, False, (1, 10)),
    (1000, "cpu", None, None, True, (1, 1)),
    (1000, "cuda", None, None, True, (1, 100)),
    (200_000, "cpu", None, None, False, (20, 10)),
    (1000, "cpu", 5, 7, False, (5, 7)),
])
def testcadence_fills_in_record_and_sync_defaults(steps, device, record, sync, exact,
                                                   expected):
    assert cadence(steps, torch.device(device), record, sync, exact_stop=exact) == expected


def testcadence_refuses_a_bad_sync_every():
    with pytest.raises(gd.InvalidArgumentError, match="sync_every must be a positive integer"):
        cadence(10, torch.device("cpu"), None, 0, exact_stop=False)


def test_pending_losses_are_read_in_one_go_and_recorded_in_order():
    hist = History()
    pending = PendingLosses(hist, record_every=2)
    for i in range(5):
        pending.keep(i, torch.tensor(float(i)))
    current, earlier = pending.read(5, torch.tensor(5.0))
    assert (current, earlier) == (5.0, [0.0, 2.0, 4.0])
    assert hist.steps == [0, 2, 4] and hist.losses == [0.0, 2.0, 4.0]  # 5 is not a record step
    assert pending.read(6, torch.tensor(6.0)) == (6.0, [])  # nothing pending: a plain read
    assert hist.steps[-1] == 6 and hist.losses[-1] == 6.0


def test_restore_point_names_the_first_bad_recorded_step_and_puts_params_back():
    hist = History(steps=[0, 1, 2, 3], losses=[1.0, 2.0, 1e9, math.nan])
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    guard = RestorePoint(hist, [p], 1e8, every=2)
    assert guard.first_bad(0, 1.0, []) is None and guard.limit == 1e8
    guard.refresh(1)  # (1 + 1) % 2 == 0: keep the params after 1 update
    assert guard.step == 1
    with torch.no_grad():
        p.add_(10.0)
    assert guard.first_bad(3, math.nan, [2.0, 1e9]) == (2, 1e9)
    guard.restore()
    assert p.tolist() == [1.0, 2.0] and p.grad is None
    assert guard.ok(5.0) and not guard.ok(math.inf) and not guard.ok(2e8)


def test_stop_rules_target_patience_and_restore_best():
    hist = History()
    p = torch.tensor([0.0], requires_grad=True)
    rules = StopRules(hist, [p], target_loss=0.5, patience=2, min_delta=0.0, keep_best=True,
                       validate=None)
    assert rules.check(0, 3.0) is None and hist.best_step == 0
    with torch.no_grad():
        p.fill_(1.0)
    assert rules.check(1, 4.0) is None  # worse: the best stays at step 0
    assert rules.check(2, 4.0) == "plateau" and p.item() == 0.0  # best params put back
    target = StopRules(History(), [p], target_loss=0.5, patience=None, min_delta=0.0,
                        keep_best=False, validate=lambda: 9.0)
    assert target.check(0, 0.4) == "target_loss" and target.hist.val_losses == [9.0]


# --- the progress bar ends at its true count (what a notebook's saved widget, and so the
# course book, keeps is the bar's last redraw) -------------------------------------------

def _shown(bar) -> tuple[str, float, str]:
    """(the widget's text, its progress value, its style) as the notebook saves them."""
    left, progress, right = bar.container.children
    return left.value + right.value, progress.value, progress.bar_style


@pytest.mark.parametrize("k", [200, 148, 0])
def test_progress_closed_after_k_steps_shows_k_of_total(widget_bars, k):
    bar = Progress(200, show=True)
    for i in range(k):  # faster than a redraw: the widget's text still says 0/200
        bar.show(i, 1.0)
    bar.show(min(k, 147), 0.5)
    bar.close(k)
    (drawn,) = widget_bars
    text, value, style = _shown(drawn)
    assert f"{k}/200" in text.replace("\u2007", " ") and value == k, text
    assert "loss=0.5" in text  # the last loss read, not the one of the last redraw
    assert style == ("" if k == 200 else "danger")
    bar.close(5)  # closed once: a second close changes nothing
    assert _shown(drawn) == (text, value, style)


def test_progress_shows_nothing_when_not_asked(widget_bars):
    bar = Progress(10, show=False)
    bar.show(3, 1.0)
    bar.close(10)
    assert widget_bars == []


def test_train_bar_ends_at_steps_done_or_at_the_divergence(signal, widget_bars):
    t, y = signal
    hist = gd.train(gd.init_params(3, seed=0), gd.quadratic, t, y, lr=1e-5, steps=200,
                    progress=True)
    text, value, _ = _shown(widget_bars[-1])
    assert hist.n_steps == 200 and value == 200 and "200/200" in text, text
    with pytest.raises(gd.DivergenceError) as info:
        gd.train(gd.init_params(3, seed=666), gd.quadratic, t, y, lr=1e-3, steps=1000,
                 progress=True)
    text, value, style = _shown(widget_bars[-1])
    step = info.value.step  # "exploded ... at step N": the bar stops at N, not at the sync
    assert value == step and f"{step}/1000" in text and style == "danger", text
