"""Sapiens' heatmap head: InstanceNorm and SiLU after every (de)conv.

Sapiens (Meta, 2024) forks mmpose 1.1 and changes its ``HeatmapHead``
(``pose/mmpose/models/heads/heatmap_heads/heatmap_head.py`` in
facebookresearch/sapiens): a ``use_silu`` argument, True by default, puts
``nn.InstanceNorm2d(C)`` (no affine weights, no running statistics) and
``nn.SiLU`` where mmpose puts ``BatchNorm2d`` and ``ReLU``. The modules keep
their places in ``deconv_layers`` / ``conv_layers``, so the parameter names
are mmpose's less the BatchNorm entries, and a Sapiens pose checkpoint loads
strictly here while mmpose's stock head reports its BatchNorms missing.

One difference, on purpose: Sapiens' ``loss`` returns ``(losses, heatmaps)``
for its own estimator; this one returns the losses, as every mmpose head
does, so it runs in mmpose's estimators and in
:class:`~mmpose_patchsel.models.PatchSelTopdownEstimator`.

Two options Sapiens lacks, for unselected positions that come back as
zeros: ``masked_norm``, InstanceNorm statistics over the positions the
backbone computed only (:mod:`.masked_norm`), and ``tile_cells``, the head
run in eval mode only on the tiles of the grid that hold computed positions
(:mod:`.tiled_head`), so that its memory follows the kept tokens too.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType
from torch import Tensor

from mmpose_patchsel.utils import check_int

from .masked_norm import computed_positions, masked_instance_norm, resize_mask
from .tiled_head import tiled_forward

__all__ = ['SapiensHeatmapHead', 'to_instance_norm_silu']

OptIntSeq = Optional[Sequence[int]]


def to_instance_norm_silu(layers: nn.Module) -> None:
    """Replace, in place, each ``BatchNorm2d`` of an ``nn.Sequential`` by
    ``InstanceNorm2d`` of its width (Sapiens' defaults: no affine, no
    running stats) and each ``ReLU`` by ``SiLU``, keeping the indices."""
    if not isinstance(layers, nn.Sequential):
        return  # nn.Identity: no such layers
    for index, module in enumerate(layers):
        if isinstance(module, nn.BatchNorm2d):
            layers[index] = nn.InstanceNorm2d(module.num_features)
        elif isinstance(module, nn.ReLU):
            layers[index] = nn.SiLU(inplace=True)


@MODELS.register_module()
class SapiensHeatmapHead(HeatmapHead):
    """mmpose's ``HeatmapHead`` as Sapiens changed it (see the module).

    It takes mmpose's ``HeatmapHead`` arguments with the same defaults
    (Sapiens' pose configs set ``deconv_out_channels=(768, 768)``,
    ``deconv_kernel_sizes=(4, 4)``, ``conv_out_channels=(768, 768)`` and
    ``conv_kernel_sizes=(1, 1)``), and two more.

    Args:
        use_silu (bool): InstanceNorm2d + SiLU after every deconv and conv
            layer (Sapiens' default, True); False is mmpose's BatchNorm2d +
            ReLU head.
        masked_norm (bool): each InstanceNorm takes its mean and variance
            over the positions the backbone computed only: those whose
            feature vector on the head's input grid is not all zeros
            (``PatchSelViT`` writes zeros where it dropped a token), that
            mask upsampled to each layer's size by nearest neighbour. Every
            position is still normalised, with those statistics. With every
            position computed (no selection, merged tokens, a learned fill)
            it is Sapiens' head. No parameters: checkpoints are the same.
            Needs ``use_silu``. Defaults to False (Sapiens').
        tile_cells (int, optional): in eval mode, run the head only on the
            tiles of ``tile_cells`` x ``tile_cells`` grid cells whose
            receptive field holds a computed position; the others equal a
            crop of zeros (:func:`~.tiled_head.tiled_forward`). The output
            is the dense head's up to float rounding, with the BatchNorm
            head (``use_silu=False``, which loads mmpose's ``HeatmapHead``
            checkpoints) and with either InstanceNorm statistics; its
            activation memory follows the kept tokens instead of the grid.
            Each InstanceNorm adds a pass over the tiles up to it (Sapiens'
            head: five passes in all), so that head trades time for
            memory; the BatchNorm head runs once. Training and the ONNX
            exporter run the dense head (the tiles' shapes depend on the
            data). Defaults to None (dense).
    """

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 out_channels: int,
                 deconv_out_channels: OptIntSeq = (256, 256, 256),
                 deconv_kernel_sizes: OptIntSeq = (4, 4, 4),
                 conv_out_channels: OptIntSeq = None,
                 conv_kernel_sizes: OptIntSeq = None,
                 final_layer: dict = dict(kernel_size=1),
                 use_silu: bool = True,
                 masked_norm: bool = False,
                 tile_cells: Optional[int] = None,
                 loss: ConfigType = dict(type='KeypointMSELoss',
                                         use_target_weight=True),
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(in_channels,
                         out_channels,
                         deconv_out_channels=deconv_out_channels,
                         deconv_kernel_sizes=deconv_kernel_sizes,
                         conv_out_channels=conv_out_channels,
                         conv_kernel_sizes=conv_kernel_sizes,
                         final_layer=final_layer,
                         loss=loss,
                         decoder=decoder,
                         init_cfg=init_cfg)
        if masked_norm and not use_silu:
            raise ValueError('masked_norm=True masks InstanceNorm '
                             'statistics: it needs use_silu=True (a '
                             'BatchNorm head has no per-map statistics)')
        if tile_cells is not None:
            tile_cells = check_int('tile_cells', tile_cells, 1)
        self.use_silu = use_silu
        self.masked_norm = masked_norm
        self.tile_cells = tile_cells
        if use_silu:
            to_instance_norm_silu(self.deconv_layers)
            to_instance_norm_silu(self.conv_layers)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Heatmaps of the last feature map; with ``masked_norm`` each
        InstanceNorm's statistics cover the computed positions only; with
        ``tile_cells`` in eval mode only the tiles near them run."""
        x = feats[-1]
        if self.tile_cells is not None and not self.training:
            return tiled_forward(
                self.layers(), x, self.tile_cells,
                'computed' if self.masked_norm else 'all')
        if not self.masked_norm:
            return super().forward(feats)
        computed = computed_positions(x)
        for layer in self.layers():
            if isinstance(layer, nn.InstanceNorm2d):
                mask = resize_mask(computed, x.shape[-2:])
                x = masked_instance_norm(x, mask, layer.eps)
            else:
                x = layer(x)
        return x

    def layers(self) -> List[nn.Module]:
        """The head's modules in the order they run, final layer last."""
        return [
            layer for stage in (self.deconv_layers, self.conv_layers,
                                self.final_layer)
            for layer in (stage if isinstance(stage, nn.Sequential) else
                          (stage, ))
        ]

    @property
    def default_init_cfg(self) -> list:
        """mmpose's, plus Sapiens' InstanceNorm2d entry (a no-op without
        affine weights, kept so the init config reads as theirs)."""
        return super().default_init_cfg + [
            dict(type='Constant', layer='InstanceNorm2d', val=1, bias=0)
        ]
