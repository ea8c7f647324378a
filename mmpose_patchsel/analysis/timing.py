"""Median run times of several settings, timed in rotation.

Timing one setting after another lets load from other processes (a shared
CPU) skew whichever setting it falls on; taking turns, one call of each per
round, spreads it over all of them alike.
"""
import statistics
import time
from typing import Callable, Dict, Hashable, Optional

import torch


def timed(fn: Callable, device: Optional[torch.device] = None) -> float:
    """Seconds of one call of ``fn``, waiting for a GPU to finish."""
    cuda = device is not None and torch.device(device).type == 'cuda'
    if cuda:
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    fn()
    if cuda:
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def median_times(calls: Dict[Hashable, Callable],
                 repeats: int,
                 warmup: int = 1,
                 device: Optional[torch.device] = None
                 ) -> Dict[Hashable, float]:
    """Median seconds of each of ``calls``, under ``torch.no_grad``.

    ``warmup`` rounds, then ``repeats`` rounds, each calling every entry
    once in order.
    """
    if repeats < 1:
        raise ValueError(f'repeats={repeats}: time each call at least once')
    times = {name: [] for name in calls}
    with torch.no_grad():
        for _ in range(warmup):
            for fn in calls.values():
                fn()
        for _ in range(repeats):
            for name, fn in calls.items():
                times[name].append(timed(fn, device))
    return {name: statistics.median(t) for name, t in times.items()}
