"""Supervision for the joint tokens of ``JointTokenPatchSelViT``.

The joint tokens rank patch tokens by the attention they pay them
(``patch_scores``). Untrained, that attention is close to uniform, so
pruning removes the body (issue 13: AP 0.002 against 0.116). This loss
trains the ranking signal itself, with no new parameters: in every pruning
block, joint token ``j``'s attention over the patch tokens still in the
sequence (mean over heads, the quantity the ranking sums) is pulled onto
the patch cell of keypoint ``j`` by a cross-entropy against a Gaussian over
the cells around it (PPT and TokenPose supervise their keypoint tokens
likewise). Nothing of it runs in eval mode, so inference costs nothing.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmpose.registry import MODELS
from torch import Tensor

from mmpose_patchsel.selection import PatchGrid

__all__ = ['JointTokenCellLoss', 'cell_targets', 'input_keypoints',
           'joint_token_losses']


def cell_targets(grid: PatchGrid, keypoints: Tensor, sigma: float) -> Tensor:
    """(B, J, N) Gaussian weights over the grid cells around each keypoint.

    ``keypoints`` (B, J, 2) in input pixels. The weight of cell ``n`` is
    ``exp(-d^2 / (2 sigma^2))``, ``d`` the distance in cells between ``n``
    and the keypoint's cell (:meth:`PatchGrid.point_to_cell_torch`), cut at
    3 sigma; ``sigma=0`` is the one-hot of the keypoint's cell.
    """
    row, col = grid.point_to_cell_torch(keypoints)  # (B, J) each
    rows = torch.arange(grid.rows, device=keypoints.device)
    cols = torch.arange(grid.cols, device=keypoints.device)
    dr = (rows[None, None, :, None] - row[..., None, None]).float()
    dc = (cols[None, None, None, :] - col[..., None, None]).float()
    d2 = (dr**2 + dc**2).flatten(2)  # (B, J, N)
    if sigma == 0:
        return (d2 == 0).float()
    weights = torch.exp(-d2 / (2 * sigma**2))
    return weights.masked_fill(d2 > (3 * sigma)**2, 0.)


@MODELS.register_module()
class JointTokenCellLoss(nn.Module):
    """Cross-entropy of joint-token attention against keypoint cells.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0. The
            cross-entropy stays at a few nats, about 2000x mmpose's
            heatmap MSE, so the project's configs use 1e-3: at 1.0 its
            gradient swamps the heatmap loss's in the shared attention
            weights and costs AP.
        sigma (float): Width, in cells, of the target around the
            keypoint's cell. Defaults to 0.5: mostly the keypoint's own
            cell, a little of its 8 neighbours. On the synthetic benchmark
            (seed 0) sigma 0.5 / 1.0 / 1.5 kept 97.2 / 95.0 / 92.6 % of
            the keypoint cells at AP 0.246 / 0.243 / 0.234: a wider target
            spreads the ranking over the limbs and the cut drops keypoints.
        loss_name (str): Key in the losses dict. Defaults to
            ``'loss_joint_token'``.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 sigma: float = 0.5,
                 loss_name: str = 'loss_joint_token') -> None:
        super().__init__()
        if not float(loss_weight) >= 0:
            raise ValueError(f'loss_weight must be >= 0, got {loss_weight}')
        if not float(sigma) >= 0:
            raise ValueError(f'sigma must be >= 0 (cells), got {sigma}')
        self.loss_weight = float(loss_weight)
        self.sigma = float(sigma)
        self.loss_name = loss_name

    def forward(self, attentions: Sequence[Tensor],
                positions: Sequence[Optional[Tensor]],
                paddings: Sequence[Optional[Tensor]], grid: PatchGrid,
                keypoints: Tensor, keypoint_weights: Tensor) -> Tensor:
        """The loss over all supervised blocks.

        Args:
            attentions: per block, (B, J, L) joint-to-patch attention (mean
                over heads) over the L patch tokens in the sequence.
            positions: per block, (B, L) grid positions of those tokens, or
                None for the whole grid in order.
            paddings: per block, (B, L) bool padding mask, or None.
            grid: the token grid of the input.
            keypoints: (B, J, 2) keypoints in input pixels.
            keypoint_weights: (B, J) > 0 for visible keypoints.
        """
        if not attentions:
            raise ValueError('no supervised attention: the backbone has no '
                             'pruning block (prune_after is empty)')
        targets = cell_targets(grid, keypoints.float(), self.sigma)
        weights = keypoint_weights.float() * grid.contains_torch(keypoints)
        total = attentions[0].new_zeros(())
        for attn, pos, pad in zip(attentions, positions, paddings):
            t = targets
            if pos is not None:
                t = torch.gather(
                    t, 2, pos[:, None].expand(-1, t.shape[1], -1))
            if pad is not None:
                t = t.masked_fill(pad[:, None], 0.)
            mass = t.sum(dim=2, keepdim=True)
            # A keypoint whose cells have all been pruned is not supervised.
            w = weights * (mass[..., 0] > 0)
            t = t / mass.clamp_min(1e-12)
            ce = -(t * attn.clamp_min(1e-8).log()).sum(dim=2)  # (B, J)
            total = total + (ce * w).sum() / w.sum().clamp_min(1.)
        return self.loss_weight * total / len(attentions)


def input_keypoints(data_samples: Sequence, device: torch.device
                    ) -> Tuple[Tensor, Tensor]:
    """(B, J, 2) input-space keypoints and (B, J) weights of top-down samples.

    The keypoints are ``gt_instances.transformed_keypoints`` (``TopdownAffine``
    writes them; ``PackPoseInputs(pack_transformed=True)`` packs them); the
    weights are the codec's ``gt_instance_labels.keypoint_weights`` (visible
    and inside the target) when present, else ``keypoints_visible``. The
    first instance of each sample is used (one per top-down sample).
    """
    kpts, weights = [], []
    for i, sample in enumerate(data_samples):
        gt = sample.gt_instances
        if 'transformed_keypoints' not in gt:
            raise KeyError(
                f'data sample {i} has no gt_instances.transformed_keypoints: '
                'the joint-token loss needs the keypoints in input space; '
                'pack them with PackPoseInputs(pack_transformed=True) (or '
                'PackPatchSelInputs(pack_transformed=True)) in the training '
                'pipeline')
        kpts.append(torch.as_tensor(gt.transformed_keypoints)[0, :, :2])
        labels = getattr(sample, 'gt_instance_labels', None)
        if labels is not None and 'keypoint_weights' in labels:
            weights.append(torch.as_tensor(labels.keypoint_weights)[0])
        else:
            weights.append(torch.as_tensor(gt.keypoints_visible)[0])
    return (torch.stack(kpts).float().to(device),
            torch.stack(weights).float().to(device))


def joint_token_losses(backbone: nn.Module, data_samples: Sequence,
                       device: torch.device) -> Dict[str, Tensor]:
    """The backbone's joint-token loss for a batch, or ``{}`` when the
    backbone has none (any backbone without ``joint_loss`` set)."""
    if getattr(backbone, 'joint_loss', None) is None:
        return {}
    return backbone.loss_joint_tokens(*input_keypoints(data_samples, device))
