"""Sapiens' InstanceNorm head under selection: ``tools/head_norm_study.py``.

The accuracy benchmark's full model with three heads (its own, mmpose's
BatchNorm + ReLU ``HeatmapHead``, Sapiens' InstanceNorm + SiLU head), each
scored with training-free selection, dropped and merged, and the
InstanceNorm head again with ``masked_norm``. ``plan``: the heads and
selections; ``stages``: their configs and trainings; ``scoring``: the rows
and AP drops; ``report``: the table; ``pipeline``: every stage in order.
"""
from .pipeline import run
from .plan import (HEAD_EPOCHS_PER_FT_EPOCH, HEAD_SHAPE, HEADS, METHOD,
                   SELECTIONS, Head, Selection, head_epochs, head_of,
                   selections_of)
from .report import markdown
from .scoring import score_heads
from .stages import (eval_config, train_heads, training_config,
                     training_folder, weights_of, with_head)

__all__ = [
    'run', 'HEAD_EPOCHS_PER_FT_EPOCH', 'HEAD_SHAPE', 'HEADS', 'METHOD',
    'SELECTIONS', 'Head', 'Selection', 'head_epochs', 'head_of',
    'selections_of', 'markdown', 'score_heads', 'eval_config', 'train_heads',
    'training_config', 'training_folder', 'weights_of', 'with_head'
]
