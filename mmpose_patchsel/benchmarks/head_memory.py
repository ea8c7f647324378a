"""Activation memory of the dense and the tiled head under selection.

``tools/head_memory.py``: the cost benchmark's models at one input size,
their heads run dense and tiled (``SapiensHeatmapHead(tile_cells=...)``)
on the cells the skeleton selection keeps for the bundled COCO persons
(its natural count and a budget), against the full model. The kept cells
are real selections, not random ones: a tiled head's memory depends on
where the kept cells lie, not only on how many there are.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config
from torch import Tensor, nn

from mmpose_patchsel.analysis import median_times
from mmpose_patchsel.datasets import build_selection_dataset
from mmpose_patchsel.models.pose_estimators.patchsel_topdown import \
    masks_to_keep_indices
from mmpose_patchsel.selection import PatchGrid

from .cost_resolution.cell import activation_peaks, build_model
from .cost_resolution.plan import (ANN_FILE, DATA_ROOT, SKELETON, TARGETS,
                                   settings)

__all__ = ['person_keeps', 'kept_settings', 'measure_model', 'markdown']


def person_keeps(input_size: Tuple[int, int], select_cfg: dict,
                 max_persons: int, data_root: str = DATA_ROOT,
                 ann_file: str = ANN_FILE) -> List[Tensor]:
    """(1, K) kept cells of ``select_cfg`` for the first ``max_persons``
    persons of the bundled COCO images, the annotation as the guide."""
    dataset = build_selection_dataset('CocoDataset', data_root, ann_file,
                                      input_size, select_cfg)
    return [
        masks_to_keep_indices(
            torch.as_tensor(dataset[i]['patch_mask']).reshape(1, -1))[0]
        for i in range(min(max_persons, len(dataset)))
    ]


def with_tiled_head(cfg: Config) -> Config:
    """``cfg`` with its head as ``SapiensHeatmapHead`` (mmpose's
    ``HeatmapHead`` becomes the BatchNorm one, ``use_silu=False``), so that
    the same model runs dense or tiled by its ``tile_cells``."""
    cfg = cfg.copy()
    if cfg.model.head.type == 'HeatmapHead':
        cfg.model.head.update(type='SapiensHeatmapHead', use_silu=False)
    return cfg


def _peaks(model: nn.Module, inputs: Tensor, keep: Optional[Tensor],
           tile: Optional[int]) -> Dict[str, float]:
    """:func:`activation_peaks` with the head dense (``tile`` None) or
    tiled."""
    model.head.tile_cells = tile
    return activation_peaks(model, inputs, keep)


def _person_row(model: nn.Module, inputs: Tensor, keep: Tensor, tile: int,
                repeats: int) -> dict:
    """Dense against tiled head for one person's kept cells."""
    with torch.no_grad():
        feats = model.extract_feat(inputs, keep)
        model.head.tile_cells = None
        dense = model.head.forward(feats)
        model.head.tile_cells = tile
        tiled = model.head.forward(feats)

    def head_call(tile_cells):
        def call():
            model.head.tile_cells = tile_cells
            model.head.forward(feats)
        return call

    seconds = median_times({'dense': head_call(None),
                            'tiled': head_call(tile)}, repeats)
    return dict(tokens=keep.shape[1],
                dense=_peaks(model, inputs, keep, None),
                tiled=_peaks(model, inputs, keep, tile),
                dense_head_ms=seconds['dense'] * 1e3,
                tiled_head_ms=seconds['tiled'] * 1e3,
                max_rel_diff=float((tiled - dense).abs().max() /
                                   dense.abs().max()))


def _mean(rows: List[dict], *keys: str) -> float:
    values = []
    for row in rows:
        for key in keys:
            row = row[key]
        values.append(row)
    return float(np.mean(values))


def measure_model(cfg: Config, input_size: Tuple[int, int],
                  keeps: Dict[str, List[Tensor]], tile: int,
                  repeats: int = 3, seed: int = 0) -> dict:
    """The full model's activations, then each setting's persons with the
    head dense and tiled; means over the persons and their ratios to the
    full model."""
    w, h = input_size
    model = build_model(with_tiled_head(cfg), input_size)
    inputs = torch.randn(1, 3, h, w,
                         generator=torch.Generator().manual_seed(seed))
    full = _peaks(model, inputs, None, None)
    settings = []
    for name, person_cells in keeps.items():
        persons = [
            _person_row(model, inputs, keep, tile, repeats)
            for keep in person_cells
        ]
        dense, tiled = (_mean(persons, kind, 'total')
                        for kind in ('dense', 'tiled'))
        settings.append(dict(
            setting=name, persons=len(persons),
            tokens=_mean(persons, 'tokens'),
            dense_activation_mib=dense, tiled_activation_mib=tiled,
            dense_vs_full=dense / full['total'],
            tiled_vs_full=tiled / full['total'],
            max_tiled_vs_full=max(p['tiled']['total']
                                  for p in persons) / full['total'],
            backbone_activation_mib=_mean(persons, 'tiled', 'backbone'),
            dense_head_ms=_mean(persons, 'dense_head_ms'),
            tiled_head_ms=_mean(persons, 'tiled_head_ms'),
            max_rel_diff=max(p['max_rel_diff'] for p in persons),
            by_person=persons))
    return dict(input_size=[w, h], tile_cells=tile,
                head=model.head.__class__.__name__,
                use_silu=model.head.use_silu,
                full_activation_mib=full['total'],
                full_backbone_activation_mib=full['backbone'],
                settings=settings)


def kept_settings(input_size: Tuple[int, int], budget: float,
                  max_persons: int, data_root: str = DATA_ROOT,
                  select_cfg: dict = SKELETON) -> Dict[str, List[Tensor]]:
    """The skeleton selection's natural cells and ``budget`` of the grid
    (topped up around the skeleton), per bundled person."""
    row = settings(PatchGrid(input_size).num_patches, 0, [budget])[-1]
    return {
        'skeleton': person_keeps(input_size, select_cfg, max_persons,
                                 data_root),
        row.name: person_keeps(input_size,
                               dict(select_cfg, num_keep=row.num_keep),
                               max_persons, data_root),
    }


def markdown(results: dict) -> str:
    """The table of ``tools/head_memory.py``'s JSON."""
    from mmpose_patchsel.analysis.results_tables import markdown_table
    rows = []
    for model in results['models']:
        w, h = model['input_size']
        rows.append([f"{model['label']} {h}x{w}", 'full', '-',
                     f"{model['full_activation_mib']:.1f} (1.000)", '-', '-',
                     '-'])
        for s in model['settings']:
            rows.append([
                '', s['setting'], f"{s['tokens']:.0f}",
                f"{s['dense_activation_mib']:.1f} "
                f"({s['dense_vs_full']:.3f})",
                f"{s['tiled_activation_mib']:.1f} "
                f"({s['tiled_vs_full']:.3f})",
                f"{s['dense_head_ms']:.0f} / {s['tiled_head_ms']:.0f}",
                f"{s['max_rel_diff']:.0e}"
            ])
    table = markdown_table([
        'model, input', 'setting', 'tokens', 'activations MiB, dense head '
        '(vs full)', 'tiled head (vs full)', 'head ms dense / tiled',
        'tiled vs dense, max rel. diff'
    ], rows)
    first = results['models'][0]
    persons = first['settings'][0]['persons']
    tile = first['tile_cells']
    return '\n'.join(table) + (
        f'\n\nMeans over {persons} bundled COCO persons per setting; tiles '
        f"of {tile}x{tile} cells; CPU, {results['meta']['threads']} "
        f"thread(s). {_target_note(results)}Command: "
        f"`{results['command']}`.")


def _target_note(results: dict) -> str:
    """The cost benchmark's memory target, with the tiled head, where
    ``results`` has its model, size and setting."""
    target = next(t for t in TARGETS if t.key == 'activation_vs_full')
    for model in results['models']:
        if (model['model'], tuple(model['input_size'])) != (
                target.model, target.input_size):
            continue
        for s in model['settings']:
            if s['setting'] == target.setting:
                value = s['tiled_vs_full']
                met = 'met' if target.met(value) else 'NOT met'
                w, h = target.input_size
                return (f"Target ({model['label']} at {h}x{w}, "
                        f'{target.setting} of the tokens): {target.text}: '
                        f'tiled head {value:.4f}, {met} (dense head: '
                        f"{s['dense_vs_full']:.4f}). ")
    return ''
