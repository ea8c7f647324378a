"""Inputs that an export is checked on: the bundled COCO persons cropped by
mmpose's own transforms, with their annotated keypoints as the guide."""
import os.path as osp
from typing import Optional, Tuple

import numpy as np
import torch
from mmpose.registry import DATASETS
from mmpose.structures import PoseDataSample
from torch import Tensor, nn


def coco_person_inputs(
        model: nn.Module,
        card: dict,
        data_root: str,
        max_persons: Optional[int] = None) -> Tuple[Tensor, Tensor, Tensor]:
    """Normalised crops ``(P, 3, h, w)`` of the persons of ``data_root``'s
    ``test_coco.json`` at the model's input size (``GetBBoxCenterScale`` and
    ``TopdownAffine`` as the card says, then the model's data
    preprocessor), their keypoints in crop pixels ``(P, 17, 2)`` and
    visibilities ``(P, 17)``."""
    ann_file = osp.join(data_root, 'test_coco.json')
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'{ann_file} not found: point the check '
                                'data at mmpose_testdata/coco')
    dataset = DATASETS.build(
        dict(type='CocoDataset',
             data_root=data_root,
             ann_file='test_coco.json',
             data_prefix=dict(img=''),
             test_mode=True,
             pipeline=[
                 dict(type='LoadImage'),
                 dict(type='GetBBoxCenterScale', padding=card['bbox_padding']),
                 dict(type='TopdownAffine',
                      input_size=tuple(card['input_size']),
                      use_udp=card['use_udp']),
             ]))
    count = len(dataset) if max_persons is None else min(
        max_persons, len(dataset))
    samples = [dataset[i] for i in range(count)]
    images = [
        torch.from_numpy(np.ascontiguousarray(s['img'].transpose(2, 0, 1)))
        for s in samples
    ]
    with torch.no_grad():
        inputs = model.data_preprocessor(
            dict(inputs=images,
                 data_samples=[PoseDataSample() for _ in images]))['inputs']
    keypoints = np.concatenate([s['transformed_keypoints'] for s in samples])
    visible = np.concatenate([s['keypoints_visible'] for s in samples])
    return (inputs.float(), torch.from_numpy(keypoints).float(),
            torch.from_numpy(visible).float())


def random_inputs(card: dict,
                  persons: int = 4,
                  seed: int = 0) -> Tuple[Tensor, Tensor, Tensor]:
    """Random crops, keypoints inside them and scores in [0, 1]: the check
    for a model whose keypoints are not COCO's."""
    generator = torch.Generator().manual_seed(seed)
    w, h = card['input_size']
    num = card['num_keypoints']
    inputs = torch.randn(persons, 3, h, w, generator=generator)
    keypoints = torch.rand(persons, num, 2, generator=generator) * \
        torch.tensor([w - 1.0, h - 1.0])
    scores = torch.rand(persons, num, generator=generator)
    return inputs, keypoints, scores
