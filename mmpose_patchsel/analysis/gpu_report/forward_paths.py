"""The forward passes the GPU report times: one estimator on random inputs,
full, on K kept tokens, and on K tokens picked by an online guide."""
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Dict, Tuple, Union

import torch
from mmengine.config import Config
from mmpose.apis import init_model
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample
from torch import nn

from mmpose_patchsel.models.pose_estimators import (OnlineGuide,
                                                    masks_to_keep_indices)
from mmpose_patchsel.selection import PatchGrid, select_patches_batched

__all__ = ['DTYPES', 'EMBED_DIMS', 'ForwardPaths', 'autocast',
           'build_estimator']

COCO_META = dict(from_file='configs/_base_/datasets/coco.py')
DTYPES = {'fp32': torch.float32, 'fp16': torch.float16,
          'bf16': torch.bfloat16}
#: ``head.in_channels`` of each ViT size.
EMBED_DIMS = {'small': 384, 'base': 768, 'large': 1024, 'huge': 1280}


def autocast(device: torch.device, dtype: str):
    """Autocast to ``dtype`` (a key of :data:`DTYPES`); none for fp32."""
    if dtype == 'fp32':
        return nullcontext()
    return torch.autocast(device.type, dtype=DTYPES[dtype])


def build_estimator(config: Union[str, Path], arch: str,
                    size: Tuple[int, int], device: torch.device) -> nn.Module:
    """The config's estimator at another ViT size (``arch``, or
    ``'config'`` to keep it) and (w, h) input ``size``, with random
    weights (weights do not change speed), in eval mode."""
    cfg = Config.fromfile(str(config))
    cfg.model.backbone.init_cfg = None
    if arch != 'config':
        cfg.model.backbone.arch = arch
        cfg.model.head.in_channels = EMBED_DIMS[arch]
    w, h = size
    cfg.model.backbone.img_size = (h, w)
    return init_model(cfg, device=str(device)).eval()


class ForwardPaths:
    """The forward paths of one model at one batch: full, K = half the
    tokens selected at random, and K selected by an online guide (skeleton
    mode, COCO links).

    Args:
        model: a ``PatchSelTopdownEstimator`` (see :func:`build_estimator`).
        guide: the online guide model.
        size: the (w, h) input.
        batch: the batch size.
        device: where the inputs go.
    """

    def __init__(self, model: nn.Module, guide: OnlineGuide,
                 size: Tuple[int, int], batch: int,
                 device: torch.device) -> None:
        self.model, self.guide = model, guide
        self.backbone = model.backbone
        w, h = size
        self.size = size
        self.num_patches = self.backbone.num_patches
        self.k = self.num_patches // 2
        gen = torch.Generator().manual_seed(0)
        self.inputs = torch.randn(batch, 3, h, w, generator=gen).to(device)
        scores = torch.rand(batch, self.num_patches, generator=gen)
        self.keep = scores.topk(self.k, dim=1).indices.sort(
            dim=1).values.to(device)
        # Varying counts per sample, as pipeline masks give (padding).
        counts = torch.linspace(self.k // 2, self.k, batch).long()
        self.masks = (torch.arange(self.num_patches)[None] <
                      counts[:, None]).to(device)
        embed = self.backbone.patch_embed
        self.grid = PatchGrid((w, h), embed.patch_size[0], embed.padding[0])
        meta = parse_pose_metainfo(COCO_META)
        self.links = meta['skeleton_links']
        self.samples = [
            PoseDataSample(metainfo=dict(flip_indices=meta['flip_indices']))
            for _ in range(batch)
        ]

    def whole(self, keep=None, padding=None):
        """Backbone and head on ``keep`` (all tokens when None)."""
        feats = self.model.extract_feat(self.inputs, keep, padding)
        return self.model.head.forward(feats)

    def from_masks(self):
        """The estimator's path for pipeline masks (padded batch)."""
        return self.whole(*masks_to_keep_indices(self.masks))

    def guided(self):
        """Online guide, batched selection of K tokens, then the model."""
        kpts, scores = self.guide(self.inputs, self.samples, self.size)
        sel = select_patches_batched(
            self.grid, kpts, scores, mode='skeleton',
            skeleton_links=self.links, score_thr=-1e6, num_keep=self.k)
        return self.whole(sel.indices)

    def calls(self) -> Dict[str, Callable]:
        """The timed calls by ``'<setting>/<part>'`` name."""
        return {
            'full/backbone': lambda: self.backbone(self.inputs),
            'full/model': self.whole,
            'K/backbone': lambda: self.backbone(self.inputs, self.keep),
            'K/model': lambda: self.whole(self.keep),
            'K+guide/model': self.guided,
        }
