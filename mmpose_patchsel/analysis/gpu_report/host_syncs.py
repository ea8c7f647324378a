"""Host synchronisations of one forward pass per path, as
``torch.cuda.set_sync_debug_mode`` reports them (CUDA only)."""
import warnings
from typing import Callable, List

import torch

from mmpose_patchsel.models.pose_estimators import OnlineGuide
from .forward_paths import ForwardPaths, build_estimator

__all__ = ['count_syncs', 'run_syncs']


def count_syncs(fn: Callable) -> int:
    """Synchronising CUDA calls (``.item()``, blocking copies, nonzero,
    ...) during one call, as ``torch.cuda.set_sync_debug_mode`` sees them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        torch.cuda.set_sync_debug_mode('warn')
        try:
            with torch.no_grad():
                fn()
            torch.cuda.synchronize()  # not counted: the last one is ours
        finally:
            torch.cuda.set_sync_debug_mode('default')
    return sum('synchroniz' in str(w.message) for w in caught)


def run_syncs(preset: dict, device: torch.device) -> List[dict]:
    """Syncs of the backbone (full, kept indices), the estimator from
    pipeline masks and the online-guide path, at batch 1 on ``preset``'s
    first size and arch; ``syncs`` is None off CUDA."""
    size = preset['sizes'][0]
    model = build_estimator(preset['config'], preset['archs'][0], size,
                            device)
    guide = OnlineGuide(preset['guide'], num_keypoints=17).to(device)
    paths = ForwardPaths(model, guide, size, 1, device)
    cases = {
        'backbone, full': lambda: paths.backbone(paths.inputs),
        'backbone, keep indices': lambda: paths.backbone(
            paths.inputs, paths.keep),
        'pipeline masks -> keep indices -> model': paths.from_masks,
        'online guide -> selection -> model': paths.guided,
    }
    rows = []
    for name, fn in cases.items():
        with torch.no_grad():
            fn()  # warm-up: lazy inits and caches are not the steady state
        rows.append(dict(path=name, arch=preset['archs'][0], batch=1,
                         syncs=count_syncs(fn)
                         if device.type == 'cuda' else None))
    return rows
