"""The modules that are exported to ONNX: a top-down model as a plain graph.

``SelectedPoseGraph`` puts the selection inside the graph: it takes the crop
and the guide's keypoints, selects exactly ``num_keep`` patches with the
package's own batched selection (:func:`select_patches_batched`, the one
implementation of each rule) and runs the backbone on them, so every shape
but the batch is static and the runtime needs no selection code.
``TopdownGraph`` is any mmpose top-down model (the full ViT, or a guide such
as LiteHRNet or RTMPose) from crop to head output.
"""
from typing import Dict, Sequence, Tuple

from torch import Tensor, nn

from ..selection import PatchGrid, SelectionOptions, select_patches_batched


def head_output_names(model: nn.Module) -> Tuple[str, ...]:
    """Names of the head's outputs: SimCC heads give two, heatmap heads
    one."""
    codec = getattr(model.head, 'decoder', None)
    if type(codec).__name__ == 'SimCCLabel':
        return ('simcc_x', 'simcc_y')
    return ('heatmaps', )


def _as_tuple(out) -> Tuple[Tensor, ...]:
    return tuple(out) if isinstance(out, (tuple, list)) else (out, )


class TopdownGraph(nn.Module):
    """``input`` (B, 3, h, w) normalised crops -> the head's raw output."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model.eval()
        self.input_names = ('input', )
        self.output_names = head_output_names(model)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        return _as_tuple(
            self.model.head.forward(self.model.extract_feat(inputs)))


class SelectedPoseGraph(nn.Module):
    """Crop and guide keypoints -> heatmaps of the ViT on ``num_keep``
    selected patches, and the kept cells.

    Args:
        model: a :class:`PatchSelTopdownEstimator` (its backbone takes
            ``keep_indices``).
        grid (PatchGrid): the backbone's token grid.
        options (dict): :class:`SelectionOptions` fields; ``num_keep`` is
            required (it makes the token count static) and, in skeleton
            mode, ``skeleton_links``.
    """

    def __init__(self, model: nn.Module, grid: PatchGrid,
                 options: Dict) -> None:
        super().__init__()
        checked = SelectionOptions(**options).check_grid(grid)
        if checked.num_keep is None:
            raise ValueError(
                'num_keep is None: a selection without a budget keeps a '
                'data-dependent number of tokens, which an exported graph '
                'cannot have; give a budget K (num_keep)')
        self.model = model.eval()
        self.grid = grid
        self.options = dict(vars(checked))
        self.input_names = ('input', 'keypoints', 'keypoint_scores')
        self.output_names = head_output_names(model) + ('keep_indices', )

    def forward(self, inputs: Tensor, keypoints: Tensor,
                keypoint_scores: Tensor) -> Sequence[Tensor]:
        keep = select_patches_batched(self.grid, keypoints, keypoint_scores,
                                      **self.options).indices
        out = self.model.head.forward(self.model.extract_feat(inputs, keep))
        return (*_as_tuple(out), keep)
