"""A frozen mmpose top-down model that predicts the guide keypoints online.

The guide (LiteHRNet in the paper, or any mmpose top-down estimator, e.g.
RTMPose-t) runs on the same crops as the ViT, resized to its own input size;
its keypoints are mapped back into the ViT's input space. It is frozen and
kept out of the estimator's module tree by default, so it is neither in the
optimizer's parameter groups nor in saved checkpoints: it is rebuilt from its
own config and checkpoint each time.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.runner import load_checkpoint
from mmpose.registry import MODELS
from torch import Tensor, nn


def build_guide_model(config: str,
                      checkpoint: Optional[str] = None,
                      cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a guide pose estimator from its config; load its checkpoint.

    A checkpoint that does not fit the config fails here, naming the missing
    and unexpected keys.
    """
    # ``mmpose::path`` names a config shipped inside an installed package.
    cfg = get_config(config) if '::' in config else Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model_cfg = cfg.model
    if checkpoint is not None and 'init_cfg' in model_cfg.get('backbone', {}):
        model_cfg.backbone.init_cfg = None  # the checkpoint has it all
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        try:
            load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
        except RuntimeError as error:
            raise ValueError(
                f'guide checkpoint {checkpoint} does not match guide config '
                f'{config}: {error}') from error
    return model


class OnlineGuide(nn.Module):
    """Predicts guide keypoints for a batch of ViT input crops.

    Args:
        config (str): the guide's mmpose config (``mmpose::`` paths work).
        checkpoint (str, optional): its weights.
        num_keypoints (int): keypoints of the main model.
        keypoint_mapping (list, optional): ``(guide_index, main_index)``
            pairs, as mmpose's ``KeypointConverter`` spells them, for a guide
            with another keypoint set (e.g. COCO -> MPII); main keypoints
            without a source get score 0.
        flip_test (bool): run the guide's own flip test. Defaults to False.
    """

    def __init__(self,
                 config: str,
                 checkpoint: Optional[str] = None,
                 num_keypoints: int = 17,
                 keypoint_mapping: Optional[Sequence[Tuple[int, int]]] = None,
                 flip_test: bool = False,
                 cfg_options: Optional[dict] = None) -> None:
        super().__init__()
        self.config = config
        self.checkpoint = checkpoint
        self.model = build_guide_model(config, checkpoint, cfg_options)
        decoder = getattr(self.model.head, 'decoder', None)
        if decoder is None or not hasattr(decoder, 'input_size'):
            raise ValueError(f'guide {config} must be a top-down model whose '
                             'head has a codec (decoder.input_size)')
        self.input_size = tuple(decoder.input_size)  # (w, h)
        guide_kpts = self.model.head.out_channels if hasattr(
            self.model.head, 'out_channels') else None
        self.source, self.target = self._mapping(keypoint_mapping,
                                                 guide_kpts, num_keypoints)
        self.num_keypoints = num_keypoints
        self.test_cfg = dict(self.model.test_cfg, flip_test=flip_test)
        for param in self.model.parameters():
            param.requires_grad_(False)
        self.model.eval()

    def _mapping(self, mapping, guide_kpts: Optional[int],
                 num_keypoints: int) -> Tuple[List[int], List[int]]:
        if mapping is None:
            if guide_kpts is not None and guide_kpts != num_keypoints:
                raise ValueError(
                    f'guide {self.config} predicts {guide_kpts} keypoints, '
                    f'the main model {num_keypoints}; give keypoint_mapping '
                    '(guide_index, main_index) pairs')
            n = guide_kpts or num_keypoints
            return list(range(n)), list(range(n))
        source, target = zip(*[(int(s), int(t)) for s, t in mapping])
        bad = [t for t in target if not 0 <= t < num_keypoints]
        bad += [s for s in source
                if guide_kpts is not None and not 0 <= s < guide_kpts]
        if bad:
            raise ValueError(f'keypoint_mapping index out of range: {bad}')
        return list(source), list(target)

    def train(self, mode: bool = True) -> 'OnlineGuide':
        """The guide stays in eval mode whatever its owner does."""
        super().train(mode)
        self.model.eval()
        return self

    @torch.no_grad()
    def forward(self,
                inputs: Tensor,
                data_samples: list,
                vit_input_size: Tuple[int, int],
                use_udp: bool = True) -> Tuple[Tensor, Tensor]:
        """Guide keypoints (B, K, 2) in ViT input pixels and scores (B, K).

        ``inputs`` are the ViT's normalised crops; guide and ViT share the
        data preprocessor's normalisation (both use ImageNet statistics in
        mmpose's configs). Keypoints are mapped as if they went to image
        space the way mmpose decodes them and back through the ViT's warp
        (``use_udp`` as in its ``TopdownAffine``), so an offline dump of the
        same guide on the same crops gives the same selection.
        """
        vit_w, vit_h = vit_input_size
        guide_w, guide_h = self.input_size
        if (guide_w, guide_h) != (vit_w, vit_h):
            inputs = F.interpolate(
                inputs, size=(guide_h, guide_w), mode='bilinear',
                align_corners=False)
        # In fp32 under autocast: the selection must not depend on the
        # precision, and mmpose's decode cannot take bf16 heatmaps.
        with torch.autocast(inputs.device.type, enabled=False):
            feats = self.model.extract_feat(inputs)
            preds = self.model.head.predict(
                feats, data_samples, test_cfg=self.test_cfg)
        if isinstance(preds, tuple):
            preds = preds[0]
        kpts = np.stack([p.keypoints[0] for p in preds])
        scores = np.stack([p.keypoint_scores[0] for p in preds])
        # mmpose decodes to image space as x_img = x / w_g * s + c - s / 2;
        # the ViT's warp maps that to (x_img - c + s / 2) * (w_v - 1) / s
        # with UDP, or * w_v / s without.
        span = np.array([vit_w, vit_h], np.float64) - (1 if use_udp else 0)
        kpts = kpts * (span / np.array([guide_w, guide_h]))
        out_kpts = np.zeros((len(preds), self.num_keypoints, 2), np.float32)
        out_scores = np.zeros((len(preds), self.num_keypoints), np.float32)
        out_kpts[:, self.target] = kpts[:, self.source]
        out_scores[:, self.target] = scores[:, self.source]
        device = inputs.device
        return (torch.from_numpy(out_kpts).to(device),
                torch.from_numpy(out_scores).to(device))
