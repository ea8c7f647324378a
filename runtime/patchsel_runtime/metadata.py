"""The model card an exported ONNX file carries: read it and check it.

mmpose-patchsel's exporter stores the card as JSON in the ONNX
``metadata_props`` under the key ``"patchsel"``. It holds everything the
runtime needs besides the graph: the crop (input size, box padding, UDP),
the normalisation, the codec to decode with and the keypoint set, so that a
deployed model needs neither its config nor OpenMMLab. A card that breaks
the contract fails here, naming the key, not later inside onnxruntime.
"""
import json
import numbers
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import onnxruntime as ort

__all__ = [
    'CARD_KEY', 'CARD_FORMAT', 'ROLES', 'ModelCard', 'ModelCardError',
    'parse_model_card', 'card_from_session', 'read_model_card'
]

CARD_KEY = 'patchsel'
CARD_FORMAT = 1
ROLES = ('selected', 'full', 'guide')
#: graph inputs per role: a selected model takes the guide's keypoints.
GUIDED_INPUTS = ['input', 'keypoints', 'keypoint_scores']
PLAIN_INPUTS = ['input']
#: the head outputs of each codec family; a selected graph may add
#: ``keep_indices`` (the patches it kept) after them.
SIMCC_OUTPUTS = ['simcc_x', 'simcc_y']
HEATMAP_OUTPUTS = ['heatmaps']
EXTRA_OUTPUTS = ('keep_indices', )


class ModelCardError(ValueError):
    """A missing or malformed ``patchsel`` model card."""


@dataclass(frozen=True)
class ModelCard:
    """The checked model card of one ONNX pose model.

    Attributes mirror the JSON keys; ``input_size`` is ``(w, h)`` as mmpose
    spells it, :attr:`crop_hw` the ``(h, w)`` of the crop array.
    """

    role: str
    input_size: Tuple[int, int]
    mean: Tuple[float, float, float]
    std: Tuple[float, float, float]
    bgr_to_rgb: bool
    bbox_padding: float
    use_udp: bool
    codec: Dict[str, Any]
    num_keypoints: int
    inputs: Tuple[str, ...]
    outputs: Tuple[str, ...]
    dataset_name: Optional[str] = None
    flip_indices: Optional[List[int]] = None
    skeleton_links: Optional[List[List[int]]] = None
    selection: Optional[Dict[str, Any]] = None
    format: int = CARD_FORMAT

    @property
    def crop_hw(self) -> Tuple[int, int]:
        """``(h, w)``: the last two axes of the model's ``input``."""
        return self.input_size[1], self.input_size[0]

    @property
    def needs_guide(self) -> bool:
        """Whether the graph takes guide keypoints (role ``'selected'``)."""
        return self.role == 'selected'


def _fail(source: str, key: str, need: str, value: Any) -> None:
    raise ModelCardError(
        f'model card of {source}: {key!r} must be {need}, got {value!r}')


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _size(source: str, key: str, value: Any) -> Tuple[int, int]:
    ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0
        for v in value)
    if not ok:
        _fail(source, key, 'two positive ints [w, h]', value)
    return int(value[0]), int(value[1])


def _triple(source: str,
            key: str,
            value: Any,
            positive: bool = False) -> Tuple[float, float, float]:
    ok = isinstance(value, (list, tuple)) and len(value) == 3 and all(
        _is_number(v) and (v > 0 or not positive) for v in value)
    if not ok:
        _fail(source, key,
              'three positive numbers' if positive else 'three numbers', value)
    return tuple(float(v) for v in value)


def _flag(source: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        _fail(source, key, 'true or false', value)
    return value


def _check_io(source: str, role: str, codec_type: str, inputs: Any,
              outputs: Any) -> None:
    want_in = GUIDED_INPUTS if role == 'selected' else PLAIN_INPUTS
    if list(inputs or []) != want_in:
        _fail(source, 'inputs', f'{want_in} for role {role!r}', inputs)
    head = SIMCC_OUTPUTS if codec_type == 'SimCCLabel' else HEATMAP_OUTPUTS
    extra = list(outputs or [])[len(head):]
    if list(outputs or [])[:len(head)] != head or any(name not in EXTRA_OUTPUTS
                                                      for name in extra):
        _fail(
            source, 'outputs',
            f'{head} (then optionally {list(EXTRA_OUTPUTS)}) for codec '
            f'{codec_type}', outputs)


def _check_codec(source: str, codec: Any,
                 input_size: Tuple[int, int]) -> Dict[str, Any]:
    if not isinstance(codec, dict) or not isinstance(codec.get('type'), str):
        _fail(source, 'codec', 'an mmpose codec config dict with a "type"',
              codec)
    if _size(source, 'codec.input_size',
             codec.get('input_size')) != input_size:
        _fail(source, 'codec.input_size',
              f'the card\'s input_size {list(input_size)}',
              codec.get('input_size'))
    if 'heatmap_size' in codec:
        _size(source, 'codec.heatmap_size', codec['heatmap_size'])
    return dict(codec)


def parse_model_card(card: Any, source: str = 'the model') -> ModelCard:
    """Check a card (JSON text or its dict) and return it as a
    :class:`ModelCard`.

    Args:
        card (str | dict): the ``"patchsel"`` metadata value.
        source (str): the model's name or path, for the error messages.

    Raises:
        ModelCardError: naming the first key that breaks the contract.
    """
    if isinstance(card, (str, bytes)):
        try:
            card = json.loads(card)
        except ValueError as error:
            raise ModelCardError(
                f'model card of {source} is not valid JSON: {error}') from None
    if not isinstance(card, dict):
        raise ModelCardError(
            f'model card of {source} must be a JSON object, got {card!r}')
    if card.get('format') != CARD_FORMAT:
        _fail(
            source, 'format', f'{CARD_FORMAT} (the format this runtime '
            'reads; update patchsel_runtime)', card.get('format'))
    role = card.get('role')
    if role not in ROLES:
        _fail(source, 'role', f'one of {list(ROLES)}', role)
    input_size = _size(source, 'input_size', card.get('input_size'))
    padding = card.get('bbox_padding')
    if not _is_number(padding) or padding <= 0:
        _fail(source, 'bbox_padding', 'a number > 0', padding)
    num_keypoints = card.get('num_keypoints')
    if not isinstance(num_keypoints, int) or isinstance(
            num_keypoints, bool) or num_keypoints <= 0:
        _fail(source, 'num_keypoints', 'an int > 0', num_keypoints)
    codec = _check_codec(source, card.get('codec'), input_size)
    _check_io(source, role, codec['type'], card.get('inputs'),
              card.get('outputs'))
    flip = card.get('flip_indices')
    if flip is not None and len(flip) != num_keypoints:
        _fail(source, 'flip_indices', f'{num_keypoints} indices', flip)
    selection = card.get('selection')
    if role == 'selected' and not isinstance(selection, dict):
        _fail(source, 'selection', 'a dict for role "selected"', selection)
    return ModelCard(role=role,
                     input_size=input_size,
                     mean=_triple(source, 'mean', card.get('mean')),
                     std=_triple(source, 'std', card.get('std'),
                                 positive=True),
                     bgr_to_rgb=_flag(source, 'bgr_to_rgb',
                                      card.get('bgr_to_rgb')),
                     bbox_padding=float(padding),
                     use_udp=_flag(source, 'use_udp', card.get('use_udp')),
                     codec=codec,
                     num_keypoints=num_keypoints,
                     inputs=tuple(card['inputs']),
                     outputs=tuple(card['outputs']),
                     dataset_name=card.get('dataset_name'),
                     flip_indices=flip,
                     skeleton_links=card.get('skeleton_links'),
                     selection=selection,
                     format=CARD_FORMAT)


def card_from_session(session: ort.InferenceSession,
                      source: str = 'the model') -> ModelCard:
    """The checked card of a loaded session.

    Raises:
        ModelCardError: the model has no ``"patchsel"`` metadata (not
            exported by mmpose-patchsel) or a malformed one.
    """
    meta = session.get_modelmeta().custom_metadata_map
    if CARD_KEY not in meta:
        keys: Sequence[str] = sorted(meta)
        raise ModelCardError(
            f'{source} has no {CARD_KEY!r} model card in its ONNX '
            f'metadata_props (keys found: {list(keys)}); export the model '
            "with mmpose-patchsel's ONNX exporter, which writes it")
    return parse_model_card(meta[CARD_KEY], source)


def read_model_card(path: str) -> ModelCard:
    """The checked card of the ONNX file at ``path``."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'ONNX model not found: {path}')
    session = ort.InferenceSession(str(path),
                                   providers=['CPUExecutionProvider'])
    return card_from_session(session, str(path))
