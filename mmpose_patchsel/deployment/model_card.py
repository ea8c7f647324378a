"""The model card stored in an exported ONNX file: what the runtime needs to
crop, normalise, select and decode without the config (the contract read
by ``patchsel_runtime.metadata``).

It lives in the ONNX ``metadata_props`` under the key ``"patchsel"`` as
JSON; ``format`` numbers the layout.
"""
import json
from typing import Any, Dict, Optional

from mmengine.config import Config
from torch import nn

from ..analysis.config_flops import config_selection
from ..selection import PatchGrid
from ..utils import find_test_transform

CARD_KEY = 'patchsel'
CARD_FORMAT = 1
ROLES = ('selected', 'full', 'guide')


def _plain(value: Any) -> Any:
    """Config values (ConfigDict, tuples, numpy scalars) as JSON types."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist()))


def model_card(cfg: Config,
               model: nn.Module,
               role: str,
               input_names,
               output_names,
               selection: Optional[dict] = None,
               grid: Optional[PatchGrid] = None) -> Dict[str, Any]:
    """The card of ``model`` built from ``cfg`` (``init_model``'s model, so
    ``dataset_meta`` is set)."""
    if role not in ROLES:
        raise ValueError(f'role must be one of {ROLES}, got {role!r}')
    codec = dict(cfg.model.head.decoder)
    preprocessor = cfg.model.data_preprocessor
    meta = model.dataset_meta or {}
    bbox = find_test_transform(cfg, 'GetBBoxCenterScale') or {}
    affine = find_test_transform(cfg, 'TopdownAffine') or {}
    card = dict(format=CARD_FORMAT,
                role=role,
                input_size=list(codec['input_size']),
                mean=list(preprocessor.get('mean', (0., 0., 0.))),
                std=list(preprocessor.get('std', (1., 1., 1.))),
                bgr_to_rgb=bool(preprocessor.get('bgr_to_rgb', False)),
                bbox_padding=bbox.get('padding', 1.25),
                use_udp=bool(affine.get('use_udp', False)),
                codec=codec,
                num_keypoints=int(model.head.out_channels),
                dataset_name=meta.get('dataset_name'),
                flip_indices=meta.get('flip_indices'),
                skeleton_links=meta.get('skeleton_links'),
                inputs=list(input_names),
                outputs=list(output_names))
    if role == 'selected':
        card['selection'] = dict(
            {
                k: v
                for k, v in selection.items() if k != 'skeleton_links'
            },
            grid=[grid.rows, grid.cols])
    return _plain(card)


def selection_of(cfg: Config, **overrides) -> Dict[str, Any]:
    """The config's selection options (its ``SelectPatches`` or online
    guide) with ``overrides`` that are not None; the default is skeleton
    selection as the package's configs use it."""
    options = dict(config_selection(cfg) or dict(mode='skeleton'))
    options.update({k: v for k, v in overrides.items() if v is not None})
    return options
