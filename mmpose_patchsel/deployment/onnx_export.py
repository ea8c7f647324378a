"""Export a graph of :mod:`.graphs` to ONNX with its model card, and check
the file against PyTorch with ONNX Runtime.

The exporter is torch's own (``torch.onnx.export(dynamo=True)``): every
axis is static but the batch, which the ONNX file keeps as ``batch``.
"""
import json
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor, nn

from .model_card import CARD_KEY

#: ONNX opset of the exported files (ScatterElements with min, TopK).
OPSET = 18


class ExportCheckError(RuntimeError):
    """The exported file does not reproduce the PyTorch model."""


def export_onnx(graph: nn.Module, example_inputs: Sequence[Tensor], path: str,
                card: dict) -> str:
    """Export ``graph`` (with ``input_names`` / ``output_names``) to
    ``path`` with a dynamic batch axis and ``card`` in its metadata."""
    if example_inputs[0].shape[0] < 2:
        raise ValueError('export with a batch of at least 2: torch.export '
                         'specialises an axis of size 1 to a constant')
    batch = torch.export.Dim('batch', min=2, max=4096)
    with torch.no_grad():
        program = torch.onnx.export(graph,
                                    tuple(example_inputs),
                                    input_names=list(graph.input_names),
                                    output_names=list(graph.output_names),
                                    dynamic_shapes=tuple(
                                        {0: batch} for _ in example_inputs),
                                    opset_version=OPSET,
                                    dynamo=True,
                                    optimize=True,
                                    verbose=False)
    program.model.metadata_props[CARD_KEY] = json.dumps(card)
    directory = osp.dirname(osp.abspath(path))
    if not osp.isdir(directory):
        raise FileNotFoundError(f'output directory {directory} does not '
                                'exist')
    program.save(path)
    return path


def _decode(codec, outputs: Dict[str, np.ndarray]) -> np.ndarray:
    """(B, J, 2) keypoints in input pixels from a head's raw outputs."""
    if 'simcc_x' in outputs:
        return codec.decode(outputs['simcc_x'], outputs['simcc_y'])[0]
    return np.concatenate(
        [codec.decode(heatmap)[0] for heatmap in outputs['heatmaps']])


def check_onnx(path: str,
               graph: nn.Module,
               inputs: Sequence[Tensor],
               codec_cfg: dict,
               max_px: Optional[float] = 0.5,
               max_rel: float = 1e-3) -> Dict[str, float]:
    """Run ``path`` in ONNX Runtime and ``graph`` in PyTorch on ``inputs``.

    Returns the largest absolute difference of each output (and relative
    to the output's largest magnitude), the largest keypoint distance in
    input pixels after decoding both with the model's codec (mmpose's), and
    how many kept-cell rows differ. Raises :class:`ExportCheckError` when an
    output differs by more than ``max_rel``, the kept cells differ, or
    keypoints move more than ``max_px`` (``None`` skips decoding and that
    test: decoding the flat heatmaps of random weights amplifies rounding,
    and DARK's Hessian may be singular on them).
    """
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    feed = {name: t.numpy() for name, t in zip(graph.input_names, inputs)}
    ort_out = dict(zip(graph.output_names, session.run(None, feed)))
    with torch.no_grad():
        torch_out = dict(
            zip(graph.output_names, (t.numpy() for t in graph(*inputs))))
    report = dict(persons=int(inputs[0].shape[0]))
    worst_rel = 0.0
    for name in graph.output_names:
        if name == 'keep_indices':
            report['keep_rows_differing'] = int(
                (ort_out[name] != torch_out[name]).any(1).sum())
            continue
        diff = float(
            np.abs(ort_out[name].astype(np.float64) - torch_out[name]).max())
        report[f'{name}_max_abs_diff'] = diff
        worst_rel = max(
            worst_rel, diff / max(float(np.abs(torch_out[name]).max()), 1e-12))
    report['max_rel_diff'] = worst_rel
    if max_px is not None:  # DARK on flat or foreign heatmaps may not solve
        codec = KEYPOINT_CODECS.build(codec_cfg)
        report['keypoint_max_px'] = float(
            np.linalg.norm(_decode(codec, ort_out) -
                           _decode(codec, torch_out),
                           axis=-1).max())
    failures = []
    if worst_rel > max_rel:
        failures.append(f'outputs differ by {worst_rel:.2e} of their range '
                        f'(allowed {max_rel:.0e})')
    if report.get('keep_rows_differing'):
        failures.append(f'kept cells differ in '
                        f'{report["keep_rows_differing"]} persons')
    if max_px is not None and report['keypoint_max_px'] > max_px:
        failures.append(f'keypoints move up to '
                        f'{report["keypoint_max_px"]:.3f} px (allowed '
                        f'{max_px})')
    if failures:
        raise ExportCheckError(
            f'{path} does not reproduce the PyTorch model on '
            f'{report["persons"]} persons: {"; ".join(failures)} '
            f'({report})')
    return report
