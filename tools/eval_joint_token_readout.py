"""Could the joint tokens' own predictions feed the output? Measure it.

Scores a trained joint-token model (``JointTokenPatchSelViT``) on its test
set with its own ``test_evaluator``, flip test off for all: the heatmap
head (the model's output), and keypoints read from the joint tokens'
attention at the first pruning block (``attention_keypoints``: the argmax
cell's centre, and the attention-weighted mean of the cell centres). Only
the keypoints are swapped: same persons, boxes and scores. A reference row
puts each keypoint at the centre of its ground-truth cell: the best a
cell-level readout can score (and a check of the mapping to the image).

Example::

    python tools/eval_joint_token_readout.py \
        outputs/accuracy_cpu/joint_tokens/config.py \
        outputs/accuracy_cpu/joint_tokens/epoch_2.pth \
        --out docs/results/joint_token_readout.json
"""
import argparse
import contextlib
import io
import json
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmpose.apis import init_model

from mmpose_patchsel.analysis import (attention_keypoints, cell_centres,
                                      crop_keypoints, loader_batches)

READOUTS = ('heatmap head', 'attention argmax', 'attention mean',
            'ground-truth cell centre (reference)')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', help='write the scores here (JSON)')
    return parser.parse_args()


def to_image(keypoints: np.ndarray, sample) -> np.ndarray:
    """Input-space keypoints to image pixels, as mmpose's top-down
    estimator maps its predictions (``add_pred_to_datasample``)."""
    size = np.asarray(sample.input_size, np.float32)
    center = np.asarray(sample.input_center, np.float32)
    scale = np.asarray(sample.input_scale, np.float32)
    return keypoints / size * scale + center - 0.5 * scale


def snap_to_cell(points: np.ndarray, grid, centres: torch.Tensor
                 ) -> np.ndarray:
    """(J, 2) input-space points moved to the centres of their cells."""
    row, col = grid.point_to_cell_torch(torch.as_tensor(points).float())
    return centres[row * grid.cols + col].numpy()


def reference_keypoints(results: list, grid, use_udp: bool) -> np.ndarray:
    """(B, J, 2) input-space keypoints of the reference readout: each
    ground-truth keypoint (first instance of each sample) at the centre of
    its cell."""
    centres = cell_centres(grid)
    return np.stack([
        snap_to_cell(crop_keypoints(r, grid.input_size, use_udp), grid,
                     centres) for r in results
    ])


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.model.test_cfg.flip_test = False
    model = init_model(cfg, args.checkpoint, device='cpu')
    backbone = model.backbone
    if not hasattr(backbone, 'prune_after') or not backbone.prune_after:
        raise ValueError(f'{args.config}: the backbone must prune by joint '
                         'tokens (JointTokenPatchSelViT with prune_after)')
    if backbone.current_keep_rate >= 1.0:
        raise ValueError('keep rate 1.0: the joint tokens rank nothing, '
                         'so their attention is not computed')
    J = backbone.num_joints
    grid = backbone.input_grid(backbone.img_size)
    use_udp = 'UDP' in cfg.codec.type
    seen = []
    backbone.layers[backbone.prune_after[0]].register_forward_hook(
        lambda mod, inputs, out: seen.append(out[1].mean(dim=1)[:, :, J:]))
    loader = loader_batches(cfg)
    evaluators = {name: Evaluator(cfg.test_evaluator) for name in READOUTS}
    for evaluator in evaluators.values():
        evaluator.dataset_meta = loader.dataset.metainfo
    with torch.no_grad():
        for batch in loader:
            seen.clear()
            results = model.test_step(batch)
            evaluators['heatmap head'].process(results, batch)
            readouts = {
                'attention argmax': attention_keypoints(
                    seen[0].float(), grid, 'argmax')[0].numpy(),
                'attention mean': attention_keypoints(
                    seen[0].float(), grid, 'mean')[0].numpy(),
                READOUTS[-1]: reference_keypoints(results, grid, use_udp)
            }
            for name, kpts in readouts.items():
                samples = []
                for i, sample in enumerate(results):
                    sample = sample.clone()
                    sample.pred_instances.keypoints = to_image(
                        kpts[i][None], sample)
                    samples.append(sample)
                evaluators[name].process(samples, batch)
    scores = {}
    for name, evaluator in evaluators.items():
        with contextlib.redirect_stdout(io.StringIO()):
            metrics = evaluator.evaluate(len(loader.dataset))
        scores[name] = {k.split('/')[-1]: v for k, v in metrics.items()}
        print(f'{name:<18} AP {scores[name]["AP"]:.3f}  '
              f'AR {scores[name]["AR"]:.3f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(config=osp.relpath(args.config),
                           checkpoint=osp.relpath(args.checkpoint),
                           flip_test=False, block=backbone.prune_after[0],
                           keep_rate=backbone.current_keep_rate,
                           scores=scores), f, indent=1)


if __name__ == '__main__':
    main()
