"""Deployment: a top-down model (with its selection inside the graph) to an
ONNX file that ``patchsel_runtime`` runs without torch or OpenMMLab.

Imported by its full path (``mmpose_patchsel.deployment``), as the tools
use it; ``tools/deployment/export_onnx.py`` is the command line.
"""
from .graphs import SelectedPoseGraph, TopdownGraph, head_output_names
from .model_card import CARD_KEY, model_card, selection_of
from .onnx_export import ExportCheckError, check_onnx, export_onnx

__all__ = [
    'CARD_KEY', 'ExportCheckError', 'SelectedPoseGraph', 'TopdownGraph',
    'check_onnx', 'export_onnx', 'head_output_names', 'model_card',
    'selection_of'
]
