"""Tiny ONNX pose models made with onnx.helper, with the model card the
exporter writes: the runtime's orchestration and checks are tested without
the exporter."""
import json
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
OPSET = 17


# -- model cards --------------------------------------------------------------
def heatmap_codec(kind: str = 'UDPHeatmap',
                  input_size: Sequence[int] = (48, 64),
                  stride: int = 4,
                  **extra) -> dict:
    w, h = input_size
    return dict(type=kind,
                input_size=list(input_size),
                heatmap_size=[w // stride, h // stride],
                sigma=2,
                **extra)


def make_card(role: str = 'full',
              input_size: Sequence[int] = (48, 64),
              codec: Optional[dict] = None,
              num_keypoints: int = 17,
              use_udp: bool = True,
              outputs: Optional[List[str]] = None,
              **overrides) -> dict:
    """A card as the exporter writes it (format 1)."""
    codec = codec or heatmap_codec(input_size=input_size)
    simcc = codec['type'] == 'SimCCLabel'
    card = dict(format=1,
                role=role,
                input_size=list(input_size),
                mean=MEAN,
                std=STD,
                bgr_to_rgb=True,
                bbox_padding=1.25,
                use_udp=use_udp,
                codec=codec,
                num_keypoints=num_keypoints,
                dataset_name='coco',
                flip_indices=list(range(num_keypoints)),
                skeleton_links=[[15, 13], [13, 11]],
                inputs=['input', 'keypoints', 'keypoint_scores']
                if role == 'selected' else ['input'],
                outputs=outputs
                or (['simcc_x', 'simcc_y'] if simcc else ['heatmaps']))
    if role == 'selected':
        card['selection'] = dict(mode='skeleton',
                                 num_keep=6,
                                 num_neighbours=0,
                                 score_thr=0.3,
                                 grid=[4, 3])
    card.update(overrides)
    return card


# -- graphs -------------------------------------------------------------------
def _value(name: str, shape: Sequence) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _const(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(array), name)


def _zero_of(source: str, axes: List[int], out: str) -> List:
    """Nodes making ``out`` = 0 * mean of ``source`` over ``axes``, shaped
    (B, 1, 1, 1), so every graph input takes part."""
    return [
        helper.make_node('ReduceMean', [source], [out + '_mean'],
                         axes=axes,
                         keepdims=1),
        helper.make_node('Reshape', [out + '_mean', 'shape_b111'],
                         [out + '_r']),
        helper.make_node('Mul', [out + '_r', 'zero'], [out]),
    ]


def _save(path: Path, nodes, inputs, outputs, inits, card: Optional[dict]):
    inits = inits + [
        _const('zero', np.float32(0)),
        _const('shape_b111', np.array([-1, 1, 1, 1], np.int64)),
    ]
    graph = helper.make_graph(nodes, 'tiny', inputs, outputs, inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid('', OPSET)])
    model.ir_version = 8
    if card is not None:
        helper.set_model_props(model, {'patchsel': json.dumps(card)})
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def conv_heatmap_model(path: Path, card: Optional[dict], seed: int = 0):
    """``input`` -> AveragePool(stride) -> 1x1 Conv with fixed weights ->
    ``heatmaps`` (B, J, H, W): an image-dependent heatmap model."""
    w, h = card['input_size'] if card else (48, 64)
    num = card['num_keypoints'] if card else 17
    hw, hh = card['codec']['heatmap_size'] if card else (12, 16)
    stride = w // hw
    rng = np.random.default_rng(seed)
    weight = rng.normal(0, 0.5, (num, 3, 1, 1)).astype(np.float32)
    bias = rng.normal(1.0, 0.2, num).astype(np.float32)
    nodes = [
        helper.make_node('AveragePool', ['input'], ['pooled'],
                         kernel_shape=[stride, stride],
                         strides=[stride, stride]),
        helper.make_node('Conv', ['pooled', 'w', 'b'], ['heatmaps']),
    ]
    return _save(path, nodes, [_value('input', ['B', 3, h, w])],
                 [_value('heatmaps', ['B', num, hh, hw])],
                 [_const('w', weight), _const('b', bias)], card)


def constant_model(path: Path, card: dict, outputs: dict):
    """``input`` -> fixed outputs (each broadcast over the batch): a guide
    whose prediction is known."""
    w, h = card['input_size']
    nodes = _zero_of('input', [1, 2, 3], 'z') + [
        helper.make_node('Reshape', ['z', 'shape_b11'], ['z3'])
    ]
    inits = [_const('shape_b11', np.array([-1, 1, 1], np.int64))]
    values = []
    for name, array in outputs.items():
        array = np.asarray(array, np.float32)[None]
        inits.append(_const(name + '_c', array))
        zero = 'z3' if array.ndim == 3 else 'z'
        nodes.append(helper.make_node('Add', [zero, name + '_c'], [name]))
        values.append(_value(name, ['B'] + list(array.shape[1:])))
    return _save(path, nodes, [_value('input', ['B', 3, h, w])], values, inits,
                 card)


def render_model(path: Path, card: dict, sigma: float = 2.0):
    """A "selected" model whose heatmaps are Gaussians at its guide
    keypoints (mapped to heatmap pixels the way the card's codec encodes):
    what goes in as the guide comes out as the pose."""
    w, h = card['input_size']
    hw, hh = card['codec']['heatmap_size']
    num = card['num_keypoints']
    if card['codec']['type'] == 'UDPHeatmap':
        sx, sy = (hw - 1) / (w - 1), (hh - 1) / (h - 1)
    else:
        sx, sy = hw / w, hh / h
    nodes = _zero_of('input', [1, 2, 3], 'z') + [
        helper.make_node('ReduceMean', ['keypoint_scores'], ['s_mean'],
                         axes=[1],
                         keepdims=1),
        helper.make_node('Reshape', ['s_mean', 'shape_b111'], ['s_r']),
        helper.make_node('Mul', ['s_r', 'zero'], ['zs']),
    ]
    inits = [
        _const('gx',
               np.arange(hw, dtype=np.float32).reshape(1, 1, 1, hw)),
        _const('gy',
               np.arange(hh, dtype=np.float32).reshape(1, 1, hh, 1)),
        _const('unsq', np.array([3], np.int64)),
        _const('neg', np.float32(-1 / (2 * sigma**2))),
    ]
    for axis, (name, scale) in enumerate((('x', sx), ('y', sy))):
        inits += [
            _const(f'st{name}', np.array([axis], np.int64)),
            _const(f'en{name}', np.array([axis + 1], np.int64)),
            _const(f'ax{name}', np.array([2], np.int64)),
            _const(f'sc{name}', np.float32(scale)),
        ]
        nodes += [
            helper.make_node(
                'Slice', ['keypoints', f'st{name}', f'en{name}', f'ax{name}'],
                [f'k{name}']),
            helper.make_node('Unsqueeze', [f'k{name}', 'unsq'], [f'k{name}4']),
            helper.make_node('Mul', [f'k{name}4', f'sc{name}'], [f'h{name}']),
            helper.make_node('Sub', [f'g{name}', f'h{name}'], [f'd{name}']),
            helper.make_node('Mul', [f'd{name}', f'd{name}'], [f'd{name}2']),
        ]
    nodes += [
        helper.make_node('Add', ['dx2', 'dy2'], ['d2']),
        helper.make_node('Mul', ['d2', 'neg'], ['e']),
        helper.make_node('Exp', ['e'], ['heat']),
        helper.make_node('Add', ['heat', 'z'], ['heat_z']),
        helper.make_node('Add', ['heat_z', 'zs'], ['heatmaps']),
        helper.make_node('Cast', ['kx'], ['keep_indices'],
                         to=TensorProto.INT64),
    ]
    outputs = [_value('heatmaps', ['B', num, hh, hw])]
    if 'keep_indices' in card['outputs']:
        outputs.append(
            helper.make_tensor_value_info('keep_indices', TensorProto.INT64,
                                          ['B', num, 1]))
    inputs = [
        _value('input', ['B', 3, h, w]),
        _value('keypoints', ['B', num, 2]),
        _value('keypoint_scores', ['B', num]),
    ]
    return _save(path, nodes, inputs, outputs, inits, card)
