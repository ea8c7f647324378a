"""Median timing in rotation: the order of the calls, not their speed."""
import pytest
import torch

from mmpose_patchsel.analysis import median_times


def test_settings_take_turns_after_warm_up():
    order = []
    calls = {name: (lambda n=name: order.append(n)) for name in 'abc'}
    seconds = median_times(calls, repeats=3, warmup=2)
    assert order == list('abc') * 5
    assert set(seconds) == set('abc')
    assert all(t >= 0 for t in seconds.values())


def test_calls_run_without_autograd():
    grad = []
    median_times({'x': lambda: grad.append(torch.is_grad_enabled())}, 1)
    assert grad == [False, False]


def test_no_repeat_is_an_error():
    with pytest.raises(ValueError, match='repeats=0'):
        median_times({'x': lambda: None}, 0)
