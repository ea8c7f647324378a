"""One cell of the benchmark: a model at one input size, every setting.

FLOPs (attention counted, the head's part apart), CPU times at batch 1
(backbone alone, whole model, and the guide with its selection, every call
taking turns in the same rounds) and the activation memory of one forward
of each setting. Speed-ups are ratios of medians of the same rounds; the
FLOPs bound of a row is the full model's FLOPs over the row's.
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmpose.apis import init_model
from mmpose.structures import PoseDataSample
from torch import Tensor, nn
from torch.profiler import record_function

from mmpose_patchsel.analysis import (SelectionFlops, StageTimer,
                                      allocated_peaks, guide_flops,
                                      median_times)
from mmpose_patchsel.analysis.config_flops import dataset_kept
from mmpose_patchsel.analysis.input_size import at_input_size
from mmpose_patchsel.models.pose_estimators import OnlineGuide
from mmpose_patchsel.selection import select_patches_batched

from .plan import BUDGETS, SKELETON, Setting, settings


def natural_tokens(input_size: Tuple[int, int],
                   data_root: str,
                   ann_file: str,
                   select_cfg: dict = SKELETON) -> dict:
    """Kept tokens of ``select_cfg`` over the persons of a dataset, the
    annotation as the guide: mean, min, max and the number of persons."""
    kept = np.array(
        dataset_kept(input_size, select_cfg, 'CocoDataset', data_root,
                     ann_file, None))
    return dict(mean=float(kept.mean()),
                min=int(kept.min()),
                max=int(kept.max()),
                persons=len(kept))


def build_model(cfg: Config, input_size: Tuple[int, int]) -> nn.Module:
    """The config's model at ``input_size`` (w, h), random weights (they do
    not change the cost), no guide, in eval mode on the CPU."""
    cfg = at_input_size(cfg, input_size)
    cfg.model.backbone.init_cfg = None
    cfg.model.pop('guide', None)
    cfg.model.pop('selection', None)
    return init_model(cfg, device='cpu').eval()


def random_keep(num_patches: int, num_keep: Optional[int],
                generator: torch.Generator) -> Optional[Tensor]:
    """(1, K) sorted random cells; None for the full grid (cost does not
    depend on which cells are kept)."""
    if num_keep is None:
        return None
    cells = torch.randperm(num_patches, generator=generator)[:num_keep]
    return cells.sort().values[None]


def guide_call(guide: OnlineGuide, model: nn.Module, inputs: Tensor,
               select_cfg: dict) -> Callable:
    """The guide on the ViT's crop, then the selection from its keypoints
    along the model's skeleton (what a guided model runs before its
    backbone)."""
    grid = model.patch_grid()
    num_kpts = model.head.out_channels
    links = model.dataset_meta['skeleton_links']
    samples = [
        PoseDataSample(metainfo=dict(flip_indices=list(range(num_kpts))))
    ] * len(inputs)

    def call():
        kpts, scores = guide(inputs, samples, grid.input_size)
        return select_patches_batched(grid,
                                      kpts,
                                      scores,
                                      skeleton_links=links,
                                      **select_cfg)

    return call


def _row_costs(flops: dict, full: dict, guide: dict) -> dict:
    """FLOPs of a row, its shares and bounds against the full model."""
    backbone = flops['flops'] - flops['head_flops']
    full_backbone = full['flops'] - full['head_flops']
    row = dict(flops=flops['flops'],
               flops_no_attention=flops['flops_no_attention'],
               attention_flops=flops['attention_flops'],
               head_flops=flops['head_flops'],
               backbone_flops=backbone,
               head_share=flops['head_flops'] / flops['flops'],
               flops_bound=full['flops'] / flops['flops'],
               backbone_flops_bound=full_backbone / backbone)
    with_guide = flops['flops'] + guide['flops']
    row.update(guide_share=guide['flops'] / with_guide,
               with_guide_flops_bound=full['flops'] / with_guide)
    return row


def measure_cell(cfg: Config,
                 input_size: Tuple[int, int],
                 natural: dict,
                 guide_config: str,
                 budgets: Sequence[float] = BUDGETS,
                 select_cfg: dict = SKELETON,
                 repeats: int = 3,
                 warmup: int = 1,
                 seed: int = 0,
                 stages: Optional[StageTimer] = None) -> dict:
    """Every setting of ``cfg``'s model at ``input_size`` (w, h).

    Args:
        cfg: a full (no selection) top-down config of a ``PatchSelViT``.
        input_size: (w, h).
        natural: :func:`natural_tokens` at this size (its mean is the
            skeleton row's K, rounded).
        guide_config: the guide, timed and counted at its own input size.
        budgets: kept fractions of the grid.
        select_cfg: the selection the guide's call runs.
        repeats, warmup: rounds of the timing (every call once a round).
        seed: of the inputs and the kept cells.
        stages: prints each stage with its time (default: to stdout).

    Returns:
        dict: the grid, params, guide cost, one row per setting and the
        seconds of each stage.
    """
    w, h = input_size
    stages = stages or StageTimer('cell')
    with stages('build'):
        model = build_model(cfg, input_size)
        guide = OnlineGuide(guide_config,
                            num_keypoints=model.head.out_channels)
    backbone = model.backbone
    n = backbone.num_patches
    rows = settings(n, natural['mean'], budgets)
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(1, 3, h, w, generator=generator)
    keeps = {s.name: random_keep(n, s.num_keep, generator) for s in rows}

    with stages('FLOPs'):
        counter = SelectionFlops(model, (3, h, w))
        flops = {s.name: counter.at(s.num_keep) for s in rows}
        guide_cost = guide_flops(guide.model)

    def whole(keep: Optional[Tensor]):
        return model.head.forward(model.extract_feat(inputs, keep))

    calls: Dict[object, Callable] = {}
    for s in rows:
        keep = keeps[s.name]
        calls[s.name, 'backbone'] = lambda keep=keep: backbone(inputs, keep)
        calls[s.name, 'model'] = lambda keep=keep: whole(keep)
    calls['guide'] = guide_call(guide, model, inputs, select_cfg)
    with stages(f'timing: {len(calls)} calls in rotation, {warmup} warm-up '
                f'+ {repeats} rounds'):
        seconds = median_times(calls, repeats, warmup)
    with stages('activation memory'):
        memory = {
            s.name: activation_peaks(model, inputs, keeps[s.name])
            for s in rows
        }
    return dict(input_size=[w, h],
                grid=list(backbone.patch_resolution),
                num_patches=n,
                params=flops['full']['params'],
                natural_tokens=dict(natural),
                repeats=repeats,
                warmup=warmup,
                guide=dict(ms=seconds['guide'] * 1e3,
                           flops=guide_cost['flops'],
                           flops_no_attention=guide_cost['flops_no_attention'],
                           input_size=list(guide_cost['input_size'])),
                rows=_rows(rows, n, flops, seconds, memory, guide_cost),
                stage_seconds=dict(stages.times))


def activation_peaks(model: nn.Module, inputs: Tensor,
                     keep: Optional[Tensor]) -> Dict[str, float]:
    """Peak MiB of one whole-model forward and of its backbone part."""

    def forward():
        with torch.no_grad():
            with record_function('backbone'):
                feats = model.extract_feat(inputs, keep)
            model.head.forward(feats)

    return allocated_peaks(forward, sections=('backbone', ))


def _rows(rows: List[Setting], num_patches: int, flops: dict, seconds: dict,
          memory: dict, guide: dict) -> List[dict]:
    """Each setting's costs, times and memory, the ratios against the full
    model's."""
    full_s = seconds['full', 'backbone'], seconds['full', 'model']
    full_mem = memory['full']
    out = []
    for s in rows:
        row = dict(setting=s.name,
                   num_keep=s.num_keep,
                   tokens=s.num_keep or num_patches)
        row.update(_row_costs(flops[s.name], flops['full'], guide))
        t_bb, t_all = seconds[s.name, 'backbone'], seconds[s.name, 'model']
        row.update(backbone_ms=t_bb * 1e3,
                   backbone_speedup=full_s[0] / t_bb,
                   model_ms=t_all * 1e3,
                   model_speedup=full_s[1] / t_all)
        row['backbone_of_bound'] = (row['backbone_speedup'] /
                                    row['backbone_flops_bound'])
        row['model_of_bound'] = row['model_speedup'] / row['flops_bound']
        if s.num_keep is None:
            row.update(guide_share=None,
                       with_guide_flops_bound=None,
                       with_guide_ms=None,
                       with_guide_speedup=None,
                       with_guide_of_bound=None)
        else:
            total = t_all + seconds['guide']
            row.update(with_guide_ms=total * 1e3,
                       with_guide_speedup=full_s[1] / total)
            row['with_guide_of_bound'] = (row['with_guide_speedup'] /
                                          row['with_guide_flops_bound'])
        row.update(_memory_fields(memory[s.name], full_mem))
        out.append(row)
    return out


def _memory_fields(mem: Dict[str, float], full: Dict[str, float]) -> dict:
    """A row's activation peaks and their ratios to the full model's."""
    return dict(activation_mib=mem['total'],
                backbone_activation_mib=mem['backbone'],
                activation_vs_full=mem['total'] / full['total'],
                backbone_activation_vs_full=mem['backbone'] / full['backbone'])


def remeasure_memory(cfg: Config, cell: dict, seed: int = 0) -> dict:
    """``cell`` (a :func:`measure_cell` result) with the activation memory
    of its rows measured again by this code; FLOPs and times are kept.
    The peaks depend on how many cells are kept, not which: random ones,
    as :func:`measure_cell` keeps."""
    w, h = cell['input_size']
    model = build_model(cfg, (w, h))
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(1, 3, h, w, generator=generator)
    memory = {
        row['setting']: activation_peaks(
            model, inputs,
            random_keep(cell['num_patches'], row['num_keep'], generator))
        for row in cell['rows']
    }
    full = memory[cell['rows'][0]['setting']]
    rows = [dict(row, **_memory_fields(memory[row['setting']], full))
            for row in cell['rows']]
    return dict(cell, rows=rows)
