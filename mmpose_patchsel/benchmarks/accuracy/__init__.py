"""Accuracy retention on synthetic pose data: ``tools/benchmark_accuracy.py``.

``plan``: the configs, presets, cost points and rows; ``experiment``: one
run's folders, configs and trainings; ``stages``: data, guide, warm start,
budgets, fine-tunes; ``scoring``: AP (cached), GFLOPs, budgets, AP drops;
``measure``: rows scored and timed, sweeps; ``training_log``: times and
scores from mmengine's logs; ``report``: the table and figures;
``pipeline``: every stage in order.
"""
from .experiment import (Experiment, check_device, default_work_dir,
                         device_label, file_system_worker_init, run_command)
from .measure import evaluate_rows, sweep, time_rows
from .pipeline import run, train_stages
from .plan import (CONFIGS, COST_TARGETS, DRY_RUN, FULL, GUIDE, GUIDED,
                   JOINT_TOKEN_COST, JOINT_TOKENS, MERGE_GROUPS, METHODS,
                   PRESETS, PROJECT, ROWS, STOPS, TRAININGS, VIT_TINY,
                   WARM_START, RowSpec, Training, folder_of)
from .report import (AP_DROP, ap_drops, draw_figures, markdown, plot,
                     plot_curve, rederive_drops, write_results)
from .scoring import (Evaluation, Point, Row, Trained, budget_for, cost,
                      evaluate, keep_rate_for, largest_fitting, mean_std,
                      paired_drop, score, set_selection, setting_of)
from .stages import (fine_tune, fine_tune_config, guide_config, make_data,
                     score_guide, selection_flops, set_budgets, train_guide,
                     warm_start, warm_start_config)
from .training_log import learning_curve, train_seconds, training_log

__all__ = [
    'Experiment', 'check_device', 'default_work_dir', 'device_label',
    'file_system_worker_init', 'run_command', 'evaluate_rows', 'sweep',
    'time_rows', 'run', 'train_stages', 'CONFIGS', 'COST_TARGETS', 'DRY_RUN',
    'FULL', 'GUIDE', 'GUIDED', 'JOINT_TOKEN_COST', 'JOINT_TOKENS',
    'MERGE_GROUPS', 'METHODS', 'PRESETS', 'PROJECT', 'ROWS', 'STOPS',
    'TRAININGS', 'VIT_TINY', 'WARM_START', 'RowSpec', 'Training',
    'folder_of', 'AP_DROP', 'ap_drops', 'draw_figures', 'markdown', 'plot',
    'plot_curve', 'rederive_drops', 'write_results',
    'Evaluation', 'Point', 'Row', 'Trained', 'budget_for', 'cost',
    'evaluate', 'keep_rate_for', 'largest_fitting', 'mean_std',
    'paired_drop', 'score', 'set_selection', 'setting_of', 'fine_tune',
    'fine_tune_config', 'guide_config', 'make_data', 'score_guide',
    'selection_flops', 'set_budgets', 'train_guide', 'warm_start',
    'warm_start_config', 'learning_curve', 'train_seconds', 'training_log'
]
