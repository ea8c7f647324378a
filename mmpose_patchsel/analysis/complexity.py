"""FLOPs of a patch-selected pose model, attention included.

mmengine's :class:`~mmengine.analysis.FlopAnalyzer` traces the model and
counts matmuls, linears and convs, but has no handle for
``F.scaled_dot_product_attention``: the attention matmuls (QK^T and AV),
which are what shrinks quadratically with the kept tokens, silently vanish.
This module registers that handle and reports both conventions: with
attention, and without it (what mmcv-style counters, and the paper's
17.9 GFLOPs for ViTPose-B, count). One FLOP is one multiply-add, as in
mmengine, mmcv and the paper.
"""
from typing import List, Optional, Sequence

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from torch import Tensor, nn

SDPA_OP = 'aten::scaled_dot_product_attention'


def sdpa_flop_jit(inputs: List, outputs: List) -> int:
    """Multiply-adds of ``softmax(Q K^T) V``: B*H*L*S*(D + Dv)."""
    q, k, v = (get_shape(inputs[i]) for i in range(3))
    *batch, length, dim = q
    source = k[-2]
    heads = 1
    for size in batch:
        heads *= size
    return heads * length * source * (dim + v[-1])


def keep_rates_to_measure(backbone: nn.Module,
                          rates: Sequence[float]) -> List[float]:
    """Keep rates a tool should measure a self-pruning backbone at.

    ``rates`` as given, or the backbone's own rate when empty; the backbone
    is left at rate 1.0 (no pruning), so its other rows run unpruned. A
    backbone without ``keep_rate`` accepts no rate.
    """
    if not hasattr(backbone, 'keep_rate'):
        if rates:
            raise ValueError(f'--keep-rate {list(rates)}: '
                             f'{type(backbone).__name__} has no keep_rate')
        return []
    rates = list(rates) or [backbone.current_keep_rate]
    backbone.keep_rate, backbone.test_keep_rate = 1.0, None
    return rates


class _SelectedForward(nn.Module):
    """Backbone (on kept tokens) + neck + head, traceable with the indices."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: Tensor, keep_indices: Optional[Tensor] = None):
        backbone = self.model.backbone
        feats = backbone(inputs) if keep_indices is None else backbone(
            inputs, keep_indices=keep_indices)
        if self.model.with_neck:
            feats = self.model.neck(feats)
        return self.model.head.forward(feats)


def count_flops(model: nn.Module,
                input_shape: tuple,
                num_keep: Optional[int] = None) -> dict:
    """FLOPs of one forward of ``model`` at batch 1 keeping ``num_keep``.

    Args:
        model: an mmpose pose estimator whose backbone takes
            ``keep_indices`` (``PatchSelViT``) when ``num_keep`` is given.
        input_shape: (C, H, W) of the input.
        num_keep: kept patch tokens; ``None`` runs the full model.

    Returns:
        dict with ``flops`` (attention included), ``attention_flops``,
        ``flops_no_attention`` and ``params``.
    """
    wrapper = _SelectedForward(model).eval()
    inputs = torch.zeros(1, *input_shape)
    args = (inputs, )
    if num_keep is not None:
        num_patches = model.backbone.num_patches
        if not 0 < num_keep <= num_patches:
            raise ValueError(f'num_keep={num_keep} is outside the '
                             f'{num_patches} patches of the grid')
        args = (inputs, torch.arange(num_keep)[None])
    analyzer = FlopAnalyzer(wrapper, args)
    analyzer.set_op_handle(**{SDPA_OP: sdpa_flop_jit})
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    with torch.no_grad():
        total = analyzer.total()
        attention = analyzer.by_operator().get(
            'scaled_dot_product_attention', 0)
    return dict(
        flops=total,
        attention_flops=attention,
        flops_no_attention=total - attention,
        params=parameter_count(model)[''])
