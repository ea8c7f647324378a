"""Peak memory of one call: the CUDA allocator's peak on a GPU, the growth
of the process' resident high-water mark (``VmHWM``) on a Linux CPU, or
the peak of the tensors it holds, from the profiler's allocator events."""
import ctypes
from typing import Callable, Dict, Optional, Sequence

import torch


def read_status_kib(field: str) -> Optional[int]:
    """``VmHWM`` / ``VmRSS`` of this process in KiB (Linux only)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak(device: torch.device) -> Optional[int]:
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        return torch.cuda.memory_allocated(device)
    try:
        # Hand freed heap back to the OS, then reset the resident
        # high-water mark to the current RSS ('5', Linux >= 4.0).
        ctypes.CDLL('libc.so.6').malloc_trim(0)
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return None
    return read_status_kib('VmRSS')


def _peak_mib(device: torch.device, baseline: Optional[int]) -> float:
    if device.type == 'cuda':
        return (torch.cuda.max_memory_allocated(device) - baseline) / 2**20
    hwm = read_status_kib('VmHWM')
    return float('nan') if hwm is None or baseline is None else (
        hwm - baseline) / 1024


def peak_memory(fn: Callable, device: torch.device) -> float:
    """Peak memory growth (MiB) during one call of ``fn``; NaN where the
    CPU figure cannot be read."""
    baseline = _reset_peak(device)
    fn()
    return _peak_mib(device, baseline)


def allocated_peaks(fn: Callable,
                    sections: Sequence[str] = ()) -> Dict[str, float]:
    """Peak MiB of the tensors one call of ``fn`` holds on a CPU.

    PyTorch's allocator events under ``torch.profiler`` (``profile_memory``)
    are summed in order: the peak of the bytes allocated and not yet freed
    since the call began, so what was live before (weights, inputs) is left
    out. Unlike the resident high-water mark it does not depend on what
    the process did before or on the allocator's slack; it does not see
    buffers that libraries allocate outside PyTorch (MKL, oneDNN scratch).

    Args:
        fn: the call, run once.
        sections: names of ``torch.profiler.record_function`` ranges
            inside ``fn``; each gets the peak reached within it.

    Returns:
        dict: ``'total'`` and each of ``sections``, in MiB.
    """
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as p:
        fn()
    events = p.profiler.kineto_results.events()
    ranges = {
        e.name(): (e.start_ns(), e.end_ns())
        for e in events if e.name() in sections
    }
    missing = set(sections) - set(ranges)
    if missing:
        raise ValueError(f'no record_function range {sorted(missing)} ran')
    peaks = dict.fromkeys(['total', *sections], 0)
    live = 0
    memory = sorted((e for e in events if e.name() == '[memory]'),
                    key=lambda e: e.start_ns())
    for event in memory:
        live += event.nbytes()
        peaks['total'] = max(peaks['total'], live)
        for name, (start, end) in ranges.items():
            if start <= event.start_ns() <= end:
                peaks[name] = max(peaks[name], live)
    return {name: peak / 2**20 for name, peak in peaks.items()}
