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

from mmpose_patchsel.keys import (FLIP_PATCH_MASK_KEY,
                                  INPUT_GUIDE_KEYPOINTS_KEY,
                                  INPUT_GUIDE_SCORES_KEY, KEPT_PATCH_MASK_KEY,
                                  PATCH_MASK_KEY)
from mmpose_patchsel.selection import (PatchGrid, SelectionOptions,
                                       flip_keypoints, select_patches_batched)
from ..losses import joint_token_losses
from .online_guide import OnlineGuide

Selection = Tuple[Optional[Tensor], Optional[Tensor]]


def masks_to_keep_indices(masks: Tensor) -> Selection:
    """Batch boolean masks (B, N) into sorted keep indices (B, K).

    When every sample keeps the same number of patches the result has no
    padding and the key-padding mask is ``None``. Otherwise K is the largest
    count, shorter rows are padded with index 0 and flagged ``True`` in the
    returned key-padding mask (B, K). Sizing K reads the counts: one host
    sync for masks on an accelerator, none for masks on the CPU.
    """
    if masks.dim() != 2 or masks.dtype != torch.bool:
        raise ValueError('patch masks must be a bool tensor (B, N), got '
                         f'{masks.dtype} {tuple(masks.shape)}')
    counts = masks.sum(dim=1)
    min_count, max_count = torch.stack(torch.aminmax(counts)).tolist()
    if min_count == 0:
        raise ValueError('a sample keeps no patch at all; selections must '
                         'keep at least one patch')
    # A stable sort puts kept positions first, in ascending index order.
    order = torch.sort((~masks).to(torch.uint8), dim=1, stable=True)[1]
    keep = order[:, :max_count]
    if min_count == max_count:
        return keep, None
    padding = torch.arange(max_count, device=masks.device) >= counts[:, None]
    return keep.masked_fill(padding, 0), padding


def keep_indices_to_masks(keep: Optional[Tensor],
                          padding: Optional[Tensor], batch: int,
                          num_patches: int,
                          device: Optional[torch.device] = None) -> Tensor:
    """(B, N) bool masks of keep indices (B, K), the inverse of
    :func:`masks_to_keep_indices`; padding entries keep nothing and
    ``keep=None`` (the whole grid) keeps everything."""
    if keep is None:
        return torch.ones(batch, num_patches, dtype=torch.bool,
                          device=device)
    hit = torch.ones_like(keep) if padding is None else (~padding).long()
    # Added, not written: padding repeats an index that may also be kept.
    counts = torch.zeros(keep.shape[0], num_patches, dtype=torch.long,
                         device=keep.device)
    return counts.scatter_add_(1, keep.long(), hit.long()) > 0


def _to_float(feats):
    """Nested tuples/lists of features, in fp32."""
    if isinstance(feats, Tensor):
        return feats.float()
    return type(feats)(_to_float(f) for f in feats)


def _first_tensor(feats) -> Tensor:
    return feats if isinstance(feats, Tensor) else _first_tensor(feats[0])


def run_head(fn, feats, *args, **kwargs):
    """Call a head method; in fp32 under bf16 autocast.

    mmpose 1.3.2 decodes heatmaps and computes the training accuracy in
    numpy (``to_numpy``), which has no bfloat16, so a bf16 head fails in
    ``predict`` and ``loss``. The head is small next to the ViT: under bf16
    autocast it runs in fp32 on fp32 features. fp16 is left as it is.
    """
    device = _first_tensor(feats).device.type
    if not (torch.is_autocast_enabled(device)
            and torch.get_autocast_dtype(device) == torch.bfloat16):
        return fn(feats, *args, **kwargs)
    with torch.autocast(device, enabled=False):
        return fn(_to_float(feats), *args, **kwargs)


def _stack_masks(masks: list) -> Tensor:
    """One (B, N) bool tensor. Pipeline masks (numpy) are stacked on the
    host, where :func:`masks_to_keep_indices` costs no device sync; the
    online guide's are already tensors on the device."""
    if all(isinstance(m, Tensor) for m in masks):
        return torch.stack(masks).bool()
    return torch.from_numpy(
        np.stack([np.asarray(m, dtype=bool) for m in masks]))


@MODELS.register_module()
class PatchSelTopdownEstimator(TopdownPoseEstimator):
    """:class:`TopdownPoseEstimator` whose backbone sees only selected patches.

    The selection comes from one of two places:

    - the data samples: ``metainfo['patch_mask']`` (and ``'patch_mask_flip'``
      for flip test), written by ``SelectPatches`` and packed as meta keys
      (:mod:`mmpose_patchsel.keys`);
    - an online guide (``guide=dict(config=..., checkpoint=...)``), a frozen
      mmpose top-down model run on the same crops inside ``predict`` (and in
      ``loss`` with ``guide_in_loss=True``), whose keypoints are turned into
      a selection on the device by ``selection=dict(mode=..., ...)``. In
      ``predict`` it runs only for a batch whose samples carry no
      selection of their own.

    A batch with neither runs the full model, so the same estimator serves
    the full baseline.

    Args:
        guide (dict, optional): :class:`OnlineGuide` arguments.
        selection (dict, optional): selection options for the online guide:
            the fields of ``SelectionOptions`` with its defaults, as for
            ``SelectPatches`` (``skeleton_links=None`` takes the dataset
            metainfo's; ``neighbour_radius`` / ``limb_radius``, fractions
            of the crop height, keep the same region at any input size),
            plus ``use_udp`` (as in the ViT's ``TopdownAffine``, default
            True).
        guide_in_loss (bool): use the online guide in training too.
        save_guide (bool): register the guide as a submodule, so its
            (frozen) weights are saved in checkpoints. Defaults to False.
    """

    def __init__(self,
                 *args,
                 guide: Optional[dict] = None,
                 selection: Optional[dict] = None,
                 guide_in_loss: bool = False,
                 save_guide: bool = False,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.guide_in_loss = guide_in_loss
        self.selection_options = None
        if guide is None:
            if selection is not None:
                raise ValueError('selection= configures the online guide; '
                                 'without guide= put SelectPatches in the '
                                 'data pipeline instead')
            return
        if selection is None:
            raise ValueError('an online guide needs selection=dict(mode=...)')
        selection = dict(selection)
        self.use_udp = selection.pop('use_udp', True)
        # Fails at build time for a bad option or a K beyond the grid.
        self.selection_options = SelectionOptions(**selection).check_grid(
            self.patch_grid())
        online_guide = OnlineGuide(
            **guide, num_keypoints=self.head.out_channels)
        if save_guide:
            self.online_guide = online_guide
        else:  # outside the module tree: no optimizer group, no state dict
            self.__dict__['online_guide'] = online_guide

    def patch_grid(self) -> PatchGrid:
        """The backbone's token grid at its configured input size."""
        backbone = self.backbone
        h, w = backbone.img_size
        return PatchGrid((w, h), backbone.patch_embed.patch_size[0],
                         backbone.patch_embed.padding[0])

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
        keep, padding = masks_to_keep_indices(_stack_masks(masks))
        if keep.device != device:  # one copy each, not one per sample
            keep = keep.to(device, non_blocking=True)
            if padding is not None:
                padding = padding.to(device, non_blocking=True)
        return keep, padding

    @property
    def has_online_guide(self) -> bool:
        return self.selection_options is not None

    def attach_online_selection(self,
                                inputs: Tensor,
                                data_samples: SampleList,
                                with_flip_mask: bool = True) -> None:
        """Run the online guide and store its selection in the samples.

        Writes into each sample's metainfo the keys ``SelectPatches`` writes:
        ``patch_mask`` and, with ``with_flip_mask``, ``patch_mask_flip``
        (bool tensors on the inputs' device), ``patch_guide_keypoints``
        (K, 2) and ``patch_guide_keypoint_scores`` (K,) in ViT input space.
        """
        grid = self.patch_grid()
        keypoints, scores = self.online_guide(inputs, data_samples,
                                              grid.input_size, self.use_udp)
        meta = self._dataset_meta(data_samples)
        options = self.selection_options.keywords(
            meta.get('skeleton_links'),
            "set the model's metainfo=dict(from_file='configs/_base_/"
            "datasets/<dataset>.py') or selection.skeleton_links")
        batch_kpts, batch_scores = keypoints, scores
        if with_flip_mask:  # one call for the batch and its flip
            flip_kpts, flip_scores = flip_keypoints(keypoints, scores,
                                                    grid.width,
                                                    meta['flip_indices'])
            batch_kpts = torch.cat([keypoints, flip_kpts])
            batch_scores = torch.cat([scores, flip_scores])
        masks = select_patches_batched(grid, batch_kpts, batch_scores,
                                       **options).masks
        keypoints, scores = keypoints.cpu().numpy(), scores.cpu().numpy()
        for i, sample in enumerate(data_samples):
            info = {
                PATCH_MASK_KEY: masks[i],
                INPUT_GUIDE_KEYPOINTS_KEY: keypoints[i],
                INPUT_GUIDE_SCORES_KEY: scores[i],
            }
            if with_flip_mask:
                info[FLIP_PATCH_MASK_KEY] = masks[len(data_samples) + i]
            sample.set_metainfo(info)

    def attach_kept_patches(self, data_samples: SampleList) -> None:
        """For a backbone that prunes by itself (``last_kept``, joint
        tokens): write into each sample's metainfo ``kept_patch_mask``, the
        (N,) bool mask of the patches that reached its last block in the
        forward just run (not the flipped one)."""
        kept = getattr(self.backbone, 'last_kept', None)
        if kept is None:
            return
        masks = keep_indices_to_masks(*kept, len(data_samples),
                                      self.backbone.num_patches)
        for sample, mask in zip(data_samples, masks.cpu().numpy()):
            sample.set_metainfo({KEPT_PATCH_MASK_KEY: mask})

    def _dataset_meta(self, data_samples: SampleList) -> dict:
        """skeleton_links / flip_indices: model metainfo > dataset_meta >
        the samples' own metainfo."""
        for meta in (self.metainfo, getattr(self, 'dataset_meta', None),
                     data_samples[0].metainfo):
            if meta and meta.get('flip_indices') is not None:
                return meta
        raise KeyError('no flip_indices in the model metainfo, dataset_meta '
                       'or the samples: cannot flip the guide for flip test')

    def _apply(self, fn, *args, **kwargs):
        # The unregistered online guide follows .to() / .cuda() / .half().
        super()._apply(fn, *args, **kwargs)
        if getattr(self, 'selection_options', None) is not None and \
                'online_guide' in self.__dict__:
            self.__dict__['online_guide']._apply(fn, *args, **kwargs)
        return self

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        if self.has_online_guide and self.guide_in_loss:
            self.attach_online_selection(
                inputs, data_samples, with_flip_mask=False)
        feats = self.extract_feat(
            inputs, *self.selection_from_samples(data_samples, inputs.device))
        losses = dict()
        if self.with_head:
            losses.update(
                run_head(self.head.loss, feats, data_samples,
                         train_cfg=self.train_cfg))
        # Joint-token backbones with a joint_loss supervise their ranking.
        losses.update(
            joint_token_losses(self.backbone, data_samples, inputs.device))
        return losses

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        assert self.with_head, (
            'The model must have head to perform prediction.')
        flip_test = self.test_cfg.get('flip_test', False)
        # Samples that arrive with a selection (SelectPatches in the
        # pipeline, a tracker's previous-frame guide) keep it.
        if self.has_online_guide and not any(
                PATCH_MASK_KEY in ds.metainfo for ds in data_samples):
            self.attach_online_selection(inputs, data_samples, flip_test)
        selection = self.selection_from_samples(data_samples, inputs.device)
        feats = self.extract_feat(inputs, *selection)
        self.attach_kept_patches(data_samples)
        if flip_test:
            flip_selection = self.selection_from_samples(
                data_samples, inputs.device, FLIP_PATCH_MASK_KEY)
            if selection[0] is not None and flip_selection[0] is None:
                raise KeyError(
                    f'flip_test is on but the samples carry no '
                    f'{FLIP_PATCH_MASK_KEY!r}: build it with '
                    'SelectPatches(with_flip_mask=True) in the test pipeline '
                    'and pack it as a meta key')
            flip_feats = self.extract_feat(inputs.flip(-1), *flip_selection)
            feats = [feats, flip_feats]

        preds = run_head(self.head.predict, feats, data_samples,
                         test_cfg=self.test_cfg)
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
