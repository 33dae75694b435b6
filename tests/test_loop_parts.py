"""train's bookkeeping (gdcourse._loop_parts), one helper at a time."""

import math

import pytest
import torch

import gdcourse as gd
from gdcourse._loop_parts import PendingLosses, RestorePoint, StopRules, cadence
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
