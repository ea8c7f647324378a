"""The runtime's crops against mmpose's own test pipeline on real images."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from patchsel_runtime.preprocess import (crop_persons, resize_inputs,
                                         warp_keypoints)

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


@pytest.mark.parametrize('use_udp', [True, False])
@pytest.mark.parametrize('input_size', [(192, 256), (160, 96)])
def test_crops_match_mmpose(coco_persons, mmpose_topdown, use_udp, input_size):
    for image, boxes, keypoints in coco_persons:
        want, results, _ = mmpose_topdown(image, boxes, input_size, use_udp)
        crops = crop_persons(image,
                             boxes,
                             input_size,
                             1.25,
                             use_udp,
                             MEAN,
                             STD,
                             bgr_to_rgb=True)
        assert crops.inputs.dtype == np.float32
        assert crops.inputs.shape == want.shape
        np.testing.assert_allclose(crops.inputs, want, rtol=0, atol=1e-4)
        np.testing.assert_allclose(crops.centers,
                                   [r['input_center'] for r in results],
                                   atol=1e-5)
        np.testing.assert_allclose(crops.scales,
                                   [r['input_scale'] for r in results],
                                   atol=1e-4)


@pytest.mark.parametrize('use_udp', [True, False])
def test_guide_keypoints_warp_like_topdown_affine(coco_persons, mmpose_topdown,
                                                  use_udp):
    image, boxes, keypoints = coco_persons[0]
    _, results, _ = mmpose_topdown(image,
                                   boxes, (192, 256),
                                   use_udp,
                                   keypoints=keypoints)
    crops = crop_persons(image, boxes, (192, 256), 1.25, use_udp, MEAN, STD)
    warped = warp_keypoints(keypoints[..., :2], crops.warps)
    want = np.concatenate([r['transformed_keypoints'] for r in results])
    np.testing.assert_allclose(warped, want[..., :2], atol=1e-3)


@pytest.mark.parametrize('size', [(96, 128), (288, 384), (192, 256)])
def test_guide_resize_matches_torch_bilinear(coco_persons, size):
    """The guide's input: cv2 INTER_LINEAR equals the PyTorch online
    guide's F.interpolate(bilinear, align_corners=False)."""
    image, boxes, _ = coco_persons[1]
    inputs = crop_persons(image, boxes, (192, 256), 1.25, True, MEAN,
                          STD).inputs
    want = F.interpolate(torch.from_numpy(inputs),
                         size=size[::-1],
                         mode='bilinear',
                         align_corners=False).numpy()
    got = resize_inputs(inputs, size)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-4)
