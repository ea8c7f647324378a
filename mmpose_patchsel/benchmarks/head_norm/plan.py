"""What the head-norm study compares: the heads, their shape, and the
training-free selections each trained model is scored with."""
from dataclasses import dataclass
from typing import Optional, Tuple

from ..accuracy.plan import COST_TARGETS, MERGE_GROUPS

#: Sapiens' head layout (two 2x deconvs, two 1x1 convs, a 1x1 final conv)
#: at 128 channels: about the share of the embedding Sapiens' 768 are of
#: 0.3B's 1024 dims, and ~1.5x the configs' model per training step on the
#: CPU (256 channels: ~3x). Both trained heads take it; only the norm and
#: the activation differ.
HEAD_SHAPE = dict(deconv_out_channels=(128, 128),
                  deconv_kernel_sizes=(4, 4),
                  conv_out_channels=(128, 128),
                  conv_kernel_sizes=(1, 1),
                  final_layer=dict(kernel_size=1))
#: The selection applied at test time (the accuracy benchmark's method).
METHOD = 'skeleton'
#: A new head trains this many epochs per fine-tune epoch of the preset,
#: from the warm start: it starts from random weights.
HEAD_EPOCHS_PER_FT_EPOCH = 2


@dataclass(frozen=True)
class Head:
    """A row of the study: a head (type and options; None: the synthetic
    configs' own head) run with the checkpoints of head ``weights`` (its
    own when trained here); scored with merged tokens too if ``merged``."""
    key: str
    label: str
    head: Optional[dict]
    weights: str
    merged: bool = True

    @property
    def trained(self) -> bool:
        return self.weights == self.key


SIMPLE = 'simple'
INSTANCE_NORM = 'instancenorm'
HEADS: Tuple[Head, ...] = (
    # The accuracy benchmark's full model as it is (its fine-tunes).
    Head(SIMPLE, "the configs' head: 4x upsampling, 3x3 conv, no norm", None,
         SIMPLE),
    Head('batchnorm', "mmpose's HeatmapHead: BatchNorm + ReLU",
         dict(type='HeatmapHead'), 'batchnorm'),
    Head(INSTANCE_NORM, "Sapiens' head: InstanceNorm + SiLU",
         dict(type='SapiensHeatmapHead'), INSTANCE_NORM),
    # Test time only, on the InstanceNorm head's checkpoints. Merged tokens
    # fill every position (nothing is zero), where it is that head.
    Head('instancenorm_masked',
         "Sapiens' head, statistics over the kept positions (masked_norm)",
         dict(type='SapiensHeatmapHead', masked_norm=True),
         INSTANCE_NORM,
         merged=False),
)


@dataclass(frozen=True)
class Selection:
    """Training-free ``METHOD`` at a ``COST_TARGETS`` point, unselected
    patches dropped (``merge=0``) or merged into ``merge`` tokens."""
    point: str
    merge: int = 0

    @property
    def name(self) -> str:
        return f'{METHOD} @{self.point}' + (' merged' if self.merge else '')


SELECTIONS = tuple(
    Selection(point, merge) for point in COST_TARGETS
    for merge in (0, MERGE_GROUPS))


def selections_of(head: Head) -> Tuple[Selection, ...]:
    """The selections ``head`` is scored with."""
    return tuple(s for s in SELECTIONS if head.merged or not s.merge)


def head_of(key: str) -> Head:
    return next(h for h in HEADS if h.key == key)


def head_epochs(preset: dict) -> int:
    """Training epochs of a new head from the warm start."""
    return HEAD_EPOCHS_PER_FT_EPOCH * preset['ft_epochs']
