"""Heads: :class:`SapiensHeatmapHead`, Sapiens' InstanceNorm + SiLU
variant of mmpose's ``HeatmapHead``, the instance norm over computed
positions of its ``masked_norm`` option and the tiled forward of its
``tile_cells`` option."""
from .masked_norm import computed_positions, masked_instance_norm, resize_mask
from .sapiens_heatmap_head import SapiensHeatmapHead, to_instance_norm_silu
from .tiled_head import tile_halo, tiled_forward

__all__ = [
    'SapiensHeatmapHead', 'to_instance_norm_silu', 'computed_positions',
    'masked_instance_norm', 'resize_mask', 'tiled_forward', 'tile_halo'
]
