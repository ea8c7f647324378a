"""The measurements of ``tools/gpu_report.py``: CUDA tests, speed and
memory of full vs selected forwards, host synchronisations, a short
(AMP) training, and the Markdown report of them."""
from .cuda_tests import cuda_test_files, run_cuda_tests
from .forward_paths import (DTYPES, EMBED_DIMS, ForwardPaths, autocast,
                            build_estimator)
from .host_syncs import count_syncs, run_syncs
from .markdown import fmt, report_markdown
from .speed import bench_group, peak_mib, run_bench
from .training import run_short_training, short_training_config

__all__ = [
    'cuda_test_files', 'run_cuda_tests', 'DTYPES', 'EMBED_DIMS',
    'ForwardPaths', 'autocast', 'build_estimator', 'count_syncs',
    'run_syncs', 'fmt', 'report_markdown', 'bench_group', 'peak_mib',
    'run_bench', 'run_short_training', 'short_training_config'
]
