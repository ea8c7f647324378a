"""The size arguments of :class:`~.patchsel_vit.PatchSelViT`, checked.

The ViTPose and Sapiens architectures by name (``arch``), int-or-pair sizes
(``img_size``, ``patch_size``) and the LayerNorm config, each turned into
plain values with an error naming the argument when it does not fit.
"""
import copy
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    'ARCH_ZOO', 'IntPair', 'resolve_arch', 'to_pair', 'to_square',
    'layer_norm_eps'
]

IntPair = Union[int, Sequence[int]]


def _arch(embed_dims: int, num_layers: int, num_heads: int) -> dict:
    return dict(embed_dims=embed_dims, num_layers=num_layers,
                num_heads=num_heads, feedforward_channels=4 * embed_dims)


#: ViTPose's backbones by name and initial, and Sapiens' by its names.
#: ``'small'`` is ViTPose-S (384 dims, 12 layers, 12 heads), which mmpose's
#: ViTPose-S config spells as an arch dict; mmpretrain's own ``'small'`` is a
#: different network.
ARCH_ZOO: Dict[str, dict] = {
    **dict.fromkeys(['s', 'small'], _arch(384, 12, 12)),
    **dict.fromkeys(['b', 'base'], _arch(768, 12, 12)),
    **dict.fromkeys(['l', 'large'], _arch(1024, 24, 16)),
    **dict.fromkeys(['h', 'huge'], _arch(1280, 32, 16)),
    # Sapiens (Meta, 2024) as its mmpretrain fork's VisionTransformer names
    # them (pretrain/mmpretrain/models/backbones/vision_transformer.py):
    # 0.3b is ViT-L, 0.6b ViT-H, 1b and 2b its own.
    **dict.fromkeys(['0.3b', 'sapiens_0.3b'], _arch(1024, 24, 16)),
    **dict.fromkeys(['0.6b', 'sapiens_0.6b'], _arch(1280, 32, 16)),
    **dict.fromkeys(['1b', 'sapiens_1b'], _arch(1536, 40, 24)),
    **dict.fromkeys(['2b', 'sapiens_2b'], _arch(1920, 48, 32)),
}


def resolve_arch(arch: Union[str, dict]) -> dict:
    """``embed_dims``, ``num_layers``, ``num_heads`` and
    ``feedforward_channels`` (default ``4 * embed_dims``) of an ``arch``
    name of :data:`ARCH_ZOO` or a dict (a copy)."""
    if isinstance(arch, str):
        key = arch.lower()
        if key not in ARCH_ZOO:
            raise KeyError(f'arch {arch!r} is not one of '
                           f'{sorted(set(ARCH_ZOO))}')
        return copy.deepcopy(ARCH_ZOO[key])
    essential = {'embed_dims', 'num_layers', 'num_heads'}
    if not isinstance(arch, dict) or not essential <= set(arch):
        raise KeyError(f'a custom arch needs a dict with keys '
                       f'{sorted(essential)}, got {arch!r}')
    arch = copy.deepcopy(arch)
    arch.setdefault('feedforward_channels', 4 * arch['embed_dims'])
    return arch


def to_pair(value: IntPair, name: str) -> Tuple[int, int]:
    """An int ``n`` as ``(n, n)``, or an (h, w) pair as ints."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f'{name} must be an int or an (h, w) pair, got '
                         f'{value}')
    return value


def to_square(value: IntPair, name: str) -> int:
    """An int, or an (h, w) pair of equal ints (the token grid is square-
    celled, as :class:`~mmpose_patchsel.selection.PatchGrid` models it)."""
    h, w = to_pair(value, name)
    if h != w:
        raise ValueError(f'{name} must be the same along h and w, got '
                         f'{(h, w)}')
    return h


def layer_norm_eps(norm_cfg: Optional[dict]) -> float:
    """The eps of ``dict(type='LN', eps=...)`` (1e-6 by default); any other
    norm is refused."""
    norm_cfg = dict(norm_cfg or {})
    if norm_cfg.pop('type', 'LN') != 'LN' or set(norm_cfg) - {'eps'}:
        raise ValueError(f'only dict(type="LN", eps=...) norms are '
                         f'supported, got {norm_cfg}')
    return norm_cfg.get('eps', 1e-6)
