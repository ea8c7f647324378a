"""Heads: :class:`SapiensHeatmapHead`, Sapiens' InstanceNorm + SiLU
variant of mmpose's ``HeatmapHead``."""
from .sapiens_heatmap_head import SapiensHeatmapHead, to_instance_norm_silu

__all__ = ['SapiensHeatmapHead', 'to_instance_norm_silu']
