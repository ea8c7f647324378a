"""Cost against input size: ``tools/cost_vs_resolution.py``.

``plan``: models, sizes, settings and targets; ``cell``: one model at one
input size measured (FLOPs, CPU times, activation memory); ``store``: the
finished cells of a work dir, so a rerun resumes; ``report``: the targets
checked and the figure.
"""
from .cell import (build_model, measure_cell, natural_tokens,
                   remeasure_memory)
from .plan import (BUDGETS, DEFAULT_MODELS, DEFAULT_SIZES, GUIDE, MODELS,
                   SKELETON, TARGETS, ModelSpec, Setting, Target, settings)
from .report import find_row, plot, target_checks
from .store import Cell, CellStore, measure_cells

__all__ = [
    'build_model', 'measure_cell', 'natural_tokens', 'remeasure_memory',
    'BUDGETS',
    'DEFAULT_MODELS', 'DEFAULT_SIZES', 'GUIDE', 'MODELS', 'SKELETON',
    'TARGETS', 'ModelSpec', 'Setting', 'Target', 'settings', 'find_row',
    'plot', 'target_checks', 'Cell', 'CellStore', 'measure_cells'
]
