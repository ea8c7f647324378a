"""Speed and peak memory of full vs selected forwards over a grid of ViT
sizes, inputs, batches and dtypes, in order of importance until a time
budget is spent."""
import time
from typing import Callable, List, Optional

import torch

from mmpose_patchsel.models.pose_estimators import OnlineGuide
from ..memory import peak_memory
from ..timing import median_times
from .forward_paths import ForwardPaths, autocast, build_estimator

__all__ = ['bench_group', 'peak_mib', 'run_bench']


def peak_mib(fn: Callable, device: torch.device) -> Optional[float]:
    """CUDA allocator peak above the baseline during one call (GPU only)."""
    if device.type != 'cuda':
        return None
    with torch.no_grad():
        return round(peak_memory(fn, device), 1)


def bench_group(paths: ForwardPaths, dtype: str, device: torch.device,
                warmup: int, repeats: int) -> List[dict]:
    """Rows ``full``, ``K`` and ``K+guide`` of one model, batch and dtype:
    median ms, speed-up over full, images/s and peak MiB."""
    with autocast(device, dtype):
        times = median_times(paths.calls(), repeats, warmup, device)
        peaks = {
            'full': peak_mib(paths.whole, device),
            'K': peak_mib(lambda: paths.whole(paths.keep), device),
            'K+guide': peak_mib(paths.guided, device),
        }
    batch = paths.inputs.shape[0]
    full_bb, full_all = times['full/backbone'], times['full/model']
    rows = []
    for setting, tokens in (('full', paths.num_patches), ('K', paths.k),
                            ('K+guide', paths.k)):
        bb = times.get(f'{setting}/backbone')
        model_s = times[f'{setting}/model']
        rows.append(
            dict(setting=setting, tokens=tokens,
                 backbone_ms=None if bb is None else round(bb * 1e3, 3),
                 backbone_speedup=None if bb is None else round(
                     full_bb / bb, 3),
                 model_ms=round(model_s * 1e3, 3),
                 model_speedup=round(full_all / model_s, 3),
                 img_s=round(batch / model_s, 1), peak_mib=peaks[setting]))
    return rows


def run_bench(preset: dict, device: torch.device,
              budget_s: float) -> List[dict]:
    """:func:`bench_group` over ``preset``'s sizes, archs, batches and
    dtypes, in that order, until ``budget_s`` is spent (checked between
    groups; the rest are rows with ``skipped``). A group that fails (out of
    memory) is a ``skipped`` row with the error's first line."""
    deadline = time.monotonic() + budget_s
    guide = OnlineGuide(preset['guide'], num_keypoints=17).to(device)
    rows = []
    for size in preset['sizes']:  # 256x192 first: the headline size
        for arch in preset['archs']:
            key = dict(arch=arch, input=f'{size[1]}x{size[0]}')
            groups = [(b, d) for b in preset['batches']
                      for d in preset['dtypes']]
            if time.monotonic() > deadline:
                rows += [dict(key, batch=b, dtype=d, skipped='time budget')
                         for b, d in groups]
                continue
            model = build_estimator(preset['config'], arch, size, device)
            for batch, dtype in groups:
                if time.monotonic() > deadline:
                    rows.append(
                        dict(key, batch=batch, dtype=dtype,
                             skipped='time budget'))
                    continue
                paths = ForwardPaths(model, guide, size, batch, device)
                try:
                    for row in bench_group(paths, dtype, device,
                                           preset['warmup'],
                                           preset['repeats']):
                        rows.append(dict(key, batch=batch, dtype=dtype,
                                         **row))
                except RuntimeError as error:  # e.g. out of memory
                    rows.append(dict(key, batch=batch, dtype=dtype,
                                     skipped=str(error).split('\n')[0]))
                if device.type == 'cuda':
                    torch.cuda.empty_cache()
            del model
    return rows
