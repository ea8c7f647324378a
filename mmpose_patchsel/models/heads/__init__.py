"""Heads: :class:`SapiensHeatmapHead`, Sapiens' InstanceNorm + SiLU
variant of mmpose's ``HeatmapHead``, and the instance norm over computed
positions of its ``masked_norm`` option."""
from .masked_norm import computed_positions, masked_instance_norm, resize_mask
from .sapiens_heatmap_head import SapiensHeatmapHead, to_instance_norm_silu

__all__ = [
    'SapiensHeatmapHead', 'to_instance_norm_silu', 'computed_positions',
    'masked_instance_norm', 'resize_mask'
]
