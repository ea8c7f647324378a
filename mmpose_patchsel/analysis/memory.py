"""Peak memory of one call: the CUDA allocator's peak on a GPU, the growth
of the process' resident high-water mark (``VmHWM``) on a Linux CPU."""
import ctypes
from typing import Callable, Optional

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
