"""A torch-free ONNX Runtime runtime for mmpose-patchsel's exported models.

numpy, OpenCV and onnxruntime only: the crop, the normalisation and the
decoding are ports of mmpose's, and the exported graph holds the patch
selection, so nothing of PyTorch or OpenMMLab is needed to deploy.
"""
from .decode import decode_outputs, input_to_image
from .metadata import (ModelCard, ModelCardError, parse_model_card,
                       read_model_card)
from .pipeline import PatchSelPose
from .preprocess import CropBatch, crop_persons
from .session import OnnxPoseModel
from .tracker import FramePoses, PatchSelPoseTracker

__version__ = '0.1.0'

__all__ = [
    'OnnxPoseModel', 'PatchSelPose', 'PatchSelPoseTracker', 'FramePoses',
    'ModelCard', 'ModelCardError', 'parse_model_card', 'read_model_card',
    'CropBatch', 'crop_persons', 'decode_outputs', 'input_to_image',
    '__version__'
]
