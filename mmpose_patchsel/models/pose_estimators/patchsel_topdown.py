"""A top-down estimator that hands each sample's patch selection to the ViT.

mmpose's ``extract_feat(inputs)`` never sees the data samples, so the
selection computed in the data pipeline (``SelectPatches``) cannot reach the
backbone through the stock :class:`TopdownPoseEstimator`. This subclass reads
the per-sample boolean patch masks from the samples' metainfo and passes them
to the backbone as keep indices (plus a key-padding mask when the counts
differ within the batch). Flip test uses the mask computed for the flipped
image, which on a padded patch grid is not the mirror of the original mask.
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import OptSampleList, SampleList
from torch import Tensor

#: metainfo key of the boolean patch mask (num_patches,) of a sample.
PATCH_MASK_KEY = 'patch_mask'
#: metainfo key of the mask for the horizontally flipped input (flip test).
FLIP_PATCH_MASK_KEY = 'patch_mask_flip'

Selection = Tuple[Optional[Tensor], Optional[Tensor]]


def masks_to_keep_indices(masks: Tensor) -> Selection:
    """Batch boolean masks (B, N) into sorted keep indices (B, K).

    When every sample keeps the same number of patches the result has no
    padding and the key-padding mask is ``None``. Otherwise K is the largest
    count, shorter rows are padded with index 0 and flagged ``True`` in the
    returned key-padding mask (B, K).
    """
    if masks.dim() != 2 or masks.dtype != torch.bool:
        raise ValueError('patch masks must be a bool tensor (B, N), got '
                         f'{masks.dtype} {tuple(masks.shape)}')
    counts = masks.sum(dim=1)
    if bool((counts == 0).any()):
        raise ValueError('a sample keeps no patch at all; selections must '
                         'keep at least one patch')
    max_count = int(counts.max())
    # A stable sort puts kept positions first, in ascending index order.
    order = torch.sort((~masks).to(torch.uint8), dim=1, stable=True)[1]
    keep = order[:, :max_count]
    padding = torch.arange(max_count, device=masks.device) >= counts[:, None]
    if not bool(padding.any()):
        return keep, None
    return keep.masked_fill(padding, 0), padding


@MODELS.register_module()
class PatchSelTopdownEstimator(TopdownPoseEstimator):
    """:class:`TopdownPoseEstimator` whose backbone sees only selected patches.

    Samples carry their selection as ``metainfo['patch_mask']`` (and
    ``'patch_mask_flip'`` for flip test), written by ``SelectPatches`` and
    packed by ``PackPoseInputs`` when both keys are in its ``meta_keys``.
    A batch without masks runs the full model, so the same estimator serves
    the full baseline.
    """

    def extract_feat(self,
                     inputs: Tensor,
                     keep_indices: Optional[Tensor] = None,
                     key_padding_mask: Optional[Tensor] = None
                     ) -> Tuple[Tensor]:
        """Backbone (on the kept patches only) and neck features."""
        if keep_indices is None:
            x = self.backbone(inputs)
        else:
            x = self.backbone(
                inputs,
                keep_indices=keep_indices,
                key_padding_mask=key_padding_mask)
        if self.with_neck:
            x = self.neck(x)
        return x

    def selection_from_samples(self,
                               data_samples: OptSampleList,
                               device: torch.device,
                               key: str = PATCH_MASK_KEY) -> Selection:
        """Keep indices and key-padding mask from the samples' metainfo."""
        if not data_samples:
            return None, None
        masks = [ds.metainfo.get(key) for ds in data_samples]
        present = [m is not None for m in masks]
        if not any(present):
            return None, None
        if not all(present):
            raise KeyError(
                f'metainfo key {key!r} is set for only {sum(present)} of '
                f'{len(masks)} samples in the batch')
        masks = torch.as_tensor(
            np.stack([np.asarray(m, dtype=bool) for m in masks]),
            device=device)
        return masks_to_keep_indices(masks)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        feats = self.extract_feat(
            inputs, *self.selection_from_samples(data_samples, inputs.device))
        losses = dict()
        if self.with_head:
            losses.update(
                self.head.loss(feats, data_samples, train_cfg=self.train_cfg))
        return losses

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        assert self.with_head, (
            'The model must have head to perform prediction.')
        selection = self.selection_from_samples(data_samples, inputs.device)
        feats = self.extract_feat(inputs, *selection)
        if self.test_cfg.get('flip_test', False):
            flip_selection = self.selection_from_samples(
                data_samples, inputs.device, FLIP_PATCH_MASK_KEY)
            if selection[0] is not None and flip_selection[0] is None:
                raise KeyError(
                    f'flip_test is on but the samples carry no '
                    f'{FLIP_PATCH_MASK_KEY!r}; add it to the meta_keys of '
                    'PackPoseInputs')
            feats = [feats, self.extract_feat(inputs.flip(-1), *flip_selection)]

        preds = self.head.predict(feats, data_samples, test_cfg=self.test_cfg)
        if isinstance(preds, tuple):
            batch_pred_instances, batch_pred_fields = preds
        else:
            batch_pred_instances, batch_pred_fields = preds, None
        return self.add_pred_to_datasample(batch_pred_instances,
                                           batch_pred_fields, data_samples)

    def forward(self,
                inputs: Union[Tensor, list],
                data_samples: OptSampleList = None,
                mode: str = 'tensor'):
        # mmpose's ``forward`` drops the samples in tensor mode; keep them so
        # ``mode='tensor'`` (export, FLOPs counting) runs the selected path.
        if mode == 'tensor':
            if isinstance(inputs, list):
                inputs = torch.stack(inputs)
            return self._forward(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None
                 ) -> Union[Tensor, Sequence[Tensor]]:
        x = self.extract_feat(
            inputs, *self.selection_from_samples(data_samples, inputs.device))
        if self.with_head:
            x = self.head.forward(x)
        return x
