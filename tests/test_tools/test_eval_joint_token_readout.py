"""tools/eval_joint_token_readout.py: the reference readout's mapping on
mmpose's real test images, and the tool on the CI benchmark's joint-token
model.

The reference row (each keypoint at its ground-truth cell's centre) checks
the whole mapping from the crop's cells back to image keypoints: every
visible keypoint must come back within half a cell of where it is, and the
attention readouts are scored through the same path."""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpose.apis import init_model

from mmpose_patchsel.analysis import crop_keypoints, loader_batches

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(PROJECT, 'tools'))
import eval_joint_token_readout as readout  # noqa: E402

JOINT_TOKENS_CFG = osp.join(
    PROJECT, 'tests', 'data', 'configs',
    'td-hm_patchsel-vit-tiny-jointtokens_coco-testdata-256x192.py')


def test_reference_keypoints_come_back_within_half_a_cell(coco_root):
    """Ground truth -> crop -> its cell's centre -> image: each visible
    keypoint inside the crop lands within half a patch of itself (in image
    pixels, the crop's scale), whatever the model (random weights here)."""
    cfg = Config.fromfile(JOINT_TOKENS_CFG)
    cfg.test_dataloader.dataset.data_root = f'{coco_root}/'
    cfg.model.test_cfg.flip_test = False
    model = init_model(cfg, device='cpu')
    grid = model.backbone.input_grid(model.backbone.img_size)
    results = model.test_step(loader_batches(cfg, 1)[0])
    reference = readout.reference_keypoints(results, grid, use_udp=True)
    checked = 0
    for sample, kpts in zip(results, reference):
        crop = crop_keypoints(sample, grid.input_size)
        image = readout.to_image(kpts[None], sample)[0]
        truth = np.asarray(sample.gt_instances.keypoints[0])
        visible = np.asarray(sample.gt_instances.keypoints_visible[0]) > 0
        inside = grid.contains_torch(torch.as_tensor(crop).float()).numpy()
        # Half a patch in the crop, plus the 1-pixel difference between
        # UDP's warp and the estimator's inverse, in image pixels.
        tol = (grid.patch_size / 2 + 1) * np.asarray(
            sample.input_scale) / np.asarray(sample.input_size)
        for j in np.flatnonzero(visible & inside):
            assert (np.abs(image[j] - truth[j]) <= tol).all(), (j, image[j],
                                                                truth[j])
            checked += 1
    assert checked >= 10  # mmpose's test persons: enough visible joints


@pytest.mark.slow
def test_readouts_are_scored_and_the_reference_beats_the_model(
        ci_benchmark, tmp_path):
    """Every readout is scored; the reference (the best a cell-level
    readout can do) scores above the model's heatmap head."""
    work_dir, _ = ci_benchmark
    out = tmp_path / 'readout.json'
    done = subprocess.run(
        [sys.executable, 'tools/eval_joint_token_readout.py',
         str(work_dir / 'joint_tokens' / 'config.py'),
         (work_dir / 'joint_tokens' / 'last_checkpoint').read_text().strip(),
         '--out', str(out)],
        cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    scores = json.loads(out.read_text())['scores']
    assert list(scores) == ['heatmap head', 'attention argmax',
                            'attention mean',
                            'ground-truth cell centre (reference)']
    assert all(0 <= s['AP'] <= 1 for s in scores.values())
    reference = scores['ground-truth cell centre (reference)']['AP']
    assert reference > 0.3
    assert reference > scores['heatmap head']['AP']
