"""The test pipelines :class:`~.pose_tracker.PatchSelPoseTracker` runs a
person through, made from the model's own test pipeline.

Guides come from the tracker, so the model's guide transforms and its
``SelectPatches`` are dropped; the packer keeps the selection keys. Persons
guided by their previous pose get a ``SelectPatches`` of the tracker's own
options right after ``TopdownAffine``.
"""
from typing import Optional, Tuple

from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from torch import nn

from mmpose_patchsel.keys import SELECTION_META_KEYS
from mmpose_patchsel.selection import SelectionOptions

__all__ = ['tracker_pipelines']

#: transforms of the model's test pipeline the tracker replaces: guides come
#: from the tracker, the selection from its own ``SelectPatches``.
_DROPPED = ('LoadGuideKeypoints', 'GenerateGTGuideKeypoints', 'SelectPatches')
_PACKERS = ('PackPoseInputs', 'PackPatchSelInputs')


def _type_name(cfg: dict) -> str:
    kind = cfg.get('type', '')
    return getattr(kind, '__name__', str(kind)).split('.')[-1]


def tracker_pipelines(model: nn.Module,
                      selection: Optional[SelectionOptions] = None,
                      flip_test: bool = False
                      ) -> Tuple[Compose, Optional[Compose]]:
    """``(pipeline, guided_pipeline)`` of ``model`` (built by
    ``mmpose.apis.init_model``).

    ``pipeline``: the model's test pipeline without guide and selection
    transforms, packing the selection keys. ``guided_pipeline`` (None when
    ``selection`` is None): the same with ``SelectPatches`` after
    ``TopdownAffine``, selecting from the ``guide_keypoints`` of the input
    with ``selection``'s options on ``model.patch_grid()`` (a
    ``PatchSelTopdownEstimator``), flip mask included for ``flip_test``.
    """
    cfg = model.cfg
    steps = [
        dict(step) for step in cfg.test_dataloader.dataset.pipeline
        if _type_name(step) not in _DROPPED
    ]
    affine = [
        i for i, s in enumerate(steps) if _type_name(s) == 'TopdownAffine'
    ]
    if len(affine) != 1:
        raise ValueError('the test pipeline must hold one TopdownAffine, '
                         f'got {len(affine)}: {steps}')
    for i, step in enumerate(steps):
        if _type_name(step) in _PACKERS:
            step = dict(step, type='PackPatchSelInputs')
            if 'meta_keys' in step:
                step['meta_keys'] = tuple(step['meta_keys']) + tuple(
                    k for k in SELECTION_META_KEYS
                    if k not in step['meta_keys'])
            steps[i] = step
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmpose')):
        pipeline = Compose(steps)
        if selection is None:
            return pipeline, None
        if not hasattr(model, 'patch_grid'):
            raise TypeError(
                "guide='previous' needs a PatchSelTopdownEstimator, "
                f'got {type(model)}')
        grid = model.patch_grid()
        select = dict(
            type='SelectPatches',
            input_size=grid.input_size,
            patch_size=grid.patch_size,
            padding=grid.padding,
            use_udp=steps[affine[0]].get('use_udp', False),
            with_flip_mask=flip_test,
            **vars(selection))
        end = affine[0] + 1
        return pipeline, Compose(steps[:end] + [select] + steps[end:])
