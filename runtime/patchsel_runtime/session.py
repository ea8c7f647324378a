"""One exported pose model: its onnxruntime session and its model card.

Inputs are checked against the card before onnxruntime sees them, so a
wrong crop size or a guide with another keypoint set fails with a message
that names the array and what the card expects, not with an onnxruntime
shape error.
"""
import os
from typing import Dict, Optional, Sequence

import numpy as np
import onnxruntime as ort

from .decode import check_codec
from .metadata import ModelCard, card_from_session

__all__ = ['OnnxPoseModel']


class OnnxPoseModel:
    """An ONNX pose model exported by mmpose-patchsel, ready to run.

    Args:
        path (str): the ``.onnx`` file.
        providers (list, optional): onnxruntime execution providers;
            defaults to those this onnxruntime build has (a GPU one first
            where it has one), but the Azure (remote) one.
        session_options (ort.SessionOptions, optional): e.g. thread counts.

    Attributes:
        card (ModelCard): the checked model card.
        session (ort.InferenceSession): the session.
    """

    def __init__(self,
                 path: str,
                 providers: Optional[Sequence[str]] = None,
                 session_options: Optional[ort.SessionOptions] = None) -> None:
        self.path = str(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f'ONNX model not found: {self.path}')
        if not providers:  # the build's own (GPU first), no remote one
            providers = [
                p for p in ort.get_available_providers()
                if p != 'AzureExecutionProvider'
            ]
        try:
            self.session = ort.InferenceSession(self.path,
                                                sess_options=session_options,
                                                providers=providers)
        except Exception as error:  # onnxruntime's own exception types
            raise ValueError(f'onnxruntime cannot load {self.path}: '
                             f'{error}') from error
        self.card: ModelCard = card_from_session(self.session, self.path)
        check_codec(self.card.codec)
        self._check_graph()

    def _check_graph(self) -> None:
        """The graph's inputs and outputs are the ones its card names."""
        inputs = [i.name for i in self.session.get_inputs()]
        outputs = [o.name for o in self.session.get_outputs()]
        if inputs != list(self.card.inputs) or not set(
                self.card.outputs) <= set(outputs):
            raise ValueError(
                f'{self.path}: the graph has inputs {inputs} and outputs '
                f'{outputs}, its model card names inputs '
                f'{list(self.card.inputs)} and outputs '
                f'{list(self.card.outputs)}')

    def __repr__(self) -> str:
        card = self.card
        return (f'{type(self).__name__}({self.path!r}, role={card.role!r}, '
                f'input_size={list(card.input_size)}, '
                f'codec={card.codec["type"]!r})')

    def _check_array(self, name: str, value, shape: tuple) -> None:
        """``value`` is a float32 array of ``shape`` (``None``: any)."""
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f'{name} must be a numpy array, got {type(value).__name__}')
        if value.dtype != np.float32:
            raise TypeError(f'{name} must be float32, got {value.dtype}')
        if value.ndim != len(shape):
            raise ValueError(
                f'{name} must have {len(shape)} dims {_spell(shape)}, got '
                f'shape {value.shape}')

    def check_inputs(self,
                     inputs: np.ndarray,
                     keypoints: Optional[np.ndarray] = None,
                     keypoint_scores: Optional[np.ndarray] = None) -> None:
        """Raise a clear error for inputs that do not fit the card."""
        card = self.card
        h, w = card.crop_hw
        self._check_array('inputs', inputs, ('B', 3, h, w))
        if inputs.shape[1:] != (3, h, w):
            raise ValueError(
                f'inputs must be (B, 3, {h}, {w}): {self.path} expects '
                f'crops of (h, w) = ({h}, {w}) (model card input_size '
                f'{list(card.input_size)} is (w, h)), got {inputs.shape}')
        if not card.needs_guide:
            if keypoints is not None or keypoint_scores is not None:
                raise ValueError(
                    f'{self.path} has role {card.role!r} and takes no '
                    'keypoints; only a "selected" model takes a guide')
            return
        if keypoints is None or keypoint_scores is None:
            raise ValueError(
                f'{self.path} has role "selected": it needs the guide\'s '
                'keypoints and keypoint_scores')
        batch, num = len(inputs), card.num_keypoints
        self._check_array('keypoints', keypoints, ('B', 'J', 2))
        self._check_array('keypoint_scores', keypoint_scores, ('B', 'J'))
        if keypoints.shape[1] != num or keypoint_scores.shape[1] != num:
            raise ValueError(
                f'the guide gives {keypoints.shape[1]} keypoints, '
                f'{self.path} has num_keypoints={num} '
                f'({card.dataset_name}): a guide with another keypoint set '
                f'(keypoints {keypoints.shape}, keypoint_scores '
                f'{keypoint_scores.shape})')
        if keypoints.shape != (batch, num, 2) or \
                keypoint_scores.shape != (batch, num):
            raise ValueError(
                f'keypoints must be ({batch}, {num}, 2) and keypoint_scores '
                f'({batch}, {num}) for {batch} crops, got {keypoints.shape} '
                f'and {keypoint_scores.shape}')

    def __call__(
            self,
            inputs: np.ndarray,
            keypoints: Optional[np.ndarray] = None,
            keypoint_scores: Optional[np.ndarray] = None
    ) -> Dict[str, np.ndarray]:
        """Run the model on a batch of crops.

        Args:
            inputs (np.ndarray): ``(B, 3, h, w)`` float32 normalised crops.
            keypoints (np.ndarray, optional): ``(B, J, 2)`` float32 guide
                keypoints in this model's input pixels (role "selected").
            keypoint_scores (np.ndarray, optional): ``(B, J)`` float32.

        Returns:
            dict: the model's outputs by name (``heatmaps`` or ``simcc_x``
            and ``simcc_y``; ``keep_indices`` for a selected model).
        """
        self.check_inputs(inputs, keypoints, keypoint_scores)
        feed = {'input': inputs}
        if self.card.needs_guide:
            feed.update(keypoints=keypoints, keypoint_scores=keypoint_scores)
        names = [o.name for o in self.session.get_outputs()]
        return dict(zip(names, self.session.run(names, feed)))


def _spell(shape: tuple) -> str:
    return '(' + ', '.join(str(s) for s in shape) + ')'
