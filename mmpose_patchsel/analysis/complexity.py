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
import contextlib
from collections import Counter
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from torch import Tensor, nn

SDPA_OP = 'aten::scaled_dot_product_attention'
#: The FLOP counts :func:`count_flops` returns that add up per person.
COST_KEYS = ('flops', 'attention_flops', 'flops_no_attention', 'head_flops')


def sdpa_flop_jit(inputs: List, outputs: List) -> int:
    """Multiply-adds of ``softmax(Q K^T) V``: B*H*L*S*(D + Dv)."""
    q, k, v = (get_shape(inputs[i]) for i in range(3))
    *batch, length, dim = q
    source = k[-2]
    heads = 1
    for size in batch:
        heads *= size
    return heads * length * source * (dim + v[-1])


def measured_keep_rates(backbone: nn.Module,
                        rates: Sequence[float]) -> List[float]:
    """Keep rates a tool should measure a self-pruning backbone at.

    ``rates`` as given, or the backbone's own rate when empty; none for a
    backbone without ``keep_rate``, which accepts no rate. Changes nothing:
    :func:`at_keep_rate` runs the backbone at one of them.
    """
    if not hasattr(backbone, 'keep_rate'):
        if rates:
            raise ValueError(f'--keep-rate {list(rates)}: '
                             f'{type(backbone).__name__} has no keep_rate')
        return []
    return list(rates) or [backbone.current_keep_rate]


@contextlib.contextmanager
def at_keep_rate(backbone: nn.Module, rate: float) -> Iterator[nn.Module]:
    """Run a self-pruning backbone at ``rate`` in train and eval mode alike,
    its own rates restored on exit. Rate 1.0 (no pruning) is a no-op for a
    backbone that does not prune by itself."""
    if not hasattr(backbone, 'keep_rate'):
        if rate != 1.0:
            raise ValueError(f'keep rate {rate:g}: '
                             f'{type(backbone).__name__} has no keep_rate')
        yield backbone
        return
    saved = backbone.keep_rate, backbone.test_keep_rate
    backbone.keep_rate, backbone.test_keep_rate = rate, None
    try:
        yield backbone
    finally:
        backbone.keep_rate, backbone.test_keep_rate = saved


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
        ``flops_no_attention``, ``head_flops`` (the head's part of
        ``flops``, which selection does not shrink: it runs on the restored
        grid) and ``params``.
    """
    wrapper = _SelectedForward(model).eval()
    device = next(model.parameters()).device  # a model on a GPU too
    inputs = torch.zeros(1, *input_shape, device=device)
    args = (inputs, )
    if num_keep is not None:
        num_patches = model.backbone.num_patches
        if not 0 < num_keep <= num_patches:
            raise ValueError(f'num_keep={num_keep} is outside the '
                             f'{num_patches} patches of the grid')
        args = (inputs, torch.arange(num_keep, device=device)[None])
    analyzer = FlopAnalyzer(wrapper, args)
    analyzer.set_op_handle(**{SDPA_OP: sdpa_flop_jit})
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    with torch.no_grad():
        total = analyzer.total()
        attention = analyzer.by_operator().get(
            'scaled_dot_product_attention', 0)
        head = analyzer.by_module().get('model.head', 0)
    return dict(
        flops=total,
        attention_flops=attention,
        flops_no_attention=total - attention,
        head_flops=head,
        params=parameter_count(model)[''])


class SelectionFlops:
    """FLOPs of one model per kept-token count, each count traced once.

    Args:
        model: as for :func:`count_flops`.
        input_shape: (C, H, W) of its input.
    """

    def __init__(self, model: nn.Module, input_shape: tuple) -> None:
        self.model = model
        self.input_shape = tuple(input_shape)
        self.num_patches = model.backbone.num_patches
        self._cache: Dict[Optional[int], dict] = {}

    def at(self, num_keep: Optional[int] = None) -> dict:
        """:func:`count_flops` keeping ``num_keep`` (None or all: full)."""
        if num_keep == self.num_patches:
            num_keep = None
        if num_keep not in self._cache:
            self._cache[num_keep] = count_flops(self.model, self.input_shape,
                                                num_keep)
        return self._cache[num_keep]

    def mean(self, kept: Iterable[int]) -> dict:
        """Mean FLOPs over real selections, ``kept`` tokens per person.

        Attention is quadratic in the tokens, so this is the mean of each
        person's count, not the count at the mean; adds ``tokens``, the
        mean kept tokens, and ``persons``.
        """
        counts = Counter(int(k) for k in kept)
        total = sum(counts.values())
        if total == 0:
            raise ValueError('no selection to average over (kept is empty)')
        mean = {
            key: sum(self.at(k)[key] * n for k, n in counts.items()) / total
            for key in COST_KEYS
        }
        return dict(mean, params=self.at(None)['params'],
                    tokens=sum(k * n for k, n in counts.items()) / total,
                    persons=total)


def pruned_flops(model: nn.Module, input_shape: tuple, rate: float) -> dict:
    """:func:`count_flops` of a model whose backbone prunes by itself
    (``JointTokenPatchSelViT``), run at keep rate ``rate``; ``tokens`` is
    the mean number of patch tokens entering a block."""
    backbone = model.backbone
    with at_keep_rate(backbone, rate):
        flops = count_flops(model, input_shape)
        counts = backbone.patch_token_counts()
    return dict(flops, tokens=sum(counts) / len(counts))


def guide_flops(guide: nn.Module) -> dict:
    """:func:`count_flops` of a guide pose model at its own input size.

    An online guide (``OnlineGuide``) resizes the ViT's crops to the input
    size of its codec (``head.decoder.input_size``) before it runs, so that
    size, not the ViT's, is what its cost depends on. ``input_size`` (w, h)
    is added to the result.
    """
    decoder = getattr(getattr(guide, 'head', None), 'decoder', None)
    if not hasattr(decoder, 'input_size'):
        raise ValueError(f'guide {type(guide).__name__} has no codec input '
                         'size (head.decoder.input_size)')
    w, h = decoder.input_size
    return dict(count_flops(guide, (3, h, w)), input_size=(w, h))
