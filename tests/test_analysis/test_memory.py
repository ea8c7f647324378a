"""Peak tensor memory from the profiler's allocator events: what a call
holds beyond what was live before it, overall and within a section."""
import pytest
import torch
from torch.profiler import record_function

from mmpose_patchsel.analysis import allocated_peaks

MIB = 2**20


def test_peaks_overall_and_per_section():
    before = torch.zeros(4 * MIB // 4)  # live before the call: not counted

    def call():
        with record_function('small'):
            a = torch.ones(MIB // 4)  # 1 MiB
            b = a + 1  # 2 MiB live
            del a, b
        with record_function('large'):
            c = torch.ones(3 * MIB // 4)  # 3 MiB
            d = c * 2  # 6 MiB live
            del c
            e = d + 1  # 6 MiB live again
        return e

    peaks = allocated_peaks(call, sections=('small', 'large'))
    assert peaks == pytest.approx(dict(total=6, small=2, large=6), abs=0.01)
    assert before.numel()  # kept alive across the call


def test_a_section_that_never_ran_is_an_error():
    with pytest.raises(ValueError, match="'missing'"):
        allocated_peaks(lambda: torch.ones(8), sections=('missing', ))
