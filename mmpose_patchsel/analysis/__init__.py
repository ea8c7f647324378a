"""Measurement helpers of the tools, demos and benchmarks: FLOPs, timing,
memory, evaluation, selection recall, scripted trainings; the GPU report's
stages in :mod:`.gpu_report`. Not part of the runtime: ``import
mmpose_patchsel`` does not load it; import it by its full path."""
from .complexity import (SelectionFlops, at_keep_rate, count_flops,
                         guide_flops, measured_keep_rates, pruned_flops,
                         sdpa_flop_jit)
from .evaluation import (evaluate_batches, evaluate_checkpoint,
                         evaluation_key, kept_tokens, loader_batches)
from .joint_readout import attention_keypoints, cell_centres
from .memory import allocated_peaks, peak_memory
from .recall import (crop_keypoints, keypoint_cell_hits,
                     keypoint_cell_recall, selection_recall_counts)
from .runs import (StageTimer, dump_config, last_checkpoint,
                   mmpose_train_script, output_to, run_jobs, run_logged,
                   run_training, train_command, train_in_child,
                   train_in_process, train_unless_cached)
from .timing import median_times, timed

__all__ = [
    'count_flops', 'sdpa_flop_jit', 'SelectionFlops', 'pruned_flops',
    'guide_flops', 'measured_keep_rates', 'at_keep_rate', 'evaluate_batches',
    'evaluate_checkpoint', 'evaluation_key', 'kept_tokens', 'loader_batches',
    'StageTimer', 'dump_config',
    'last_checkpoint', 'output_to', 'run_logged', 'train_in_process',
    'train_unless_cached', 'train_in_child', 'train_command', 'run_training',
    'run_jobs', 'median_times', 'timed',
    'keypoint_cell_hits', 'keypoint_cell_recall', 'selection_recall_counts',
    'peak_memory', 'allocated_peaks', 'mmpose_train_script',
    'attention_keypoints', 'cell_centres', 'crop_keypoints'
]
