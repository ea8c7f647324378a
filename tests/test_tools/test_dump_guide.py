"""``tools/dump_guide.py``: the guide dump as mmengine's test loop, on
mmpose's real COCO test images with a tiny guide.

The boxes are the detection file's above 0.3: 33 persons, so 2 ranks in
batches of 4 with ``round_up`` get 17 each, one a padding repeat. The file
must be the in-process ``dump_guide``'s, the same from 1 and 2 processes,
and read back by ``LoadGuideKeypoints``.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmpose.apis import init_model
from mmpose.registry import DATASETS

from mmpose_patchsel.apis import dump_guide
from mmpose_patchsel.datasets.transforms import LoadGuideKeypoints

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOOL = PROJECT_ROOT / 'tools' / 'dump_guide.py'
PERSONS = 33
OPTIONS = [
    'test_dataloader.dataset.filter_cfg.bbox_score_thr=0.3',
    'test_dataloader.sampler.round_up=True'
]


def run_tool(cfg: Path,
             ckpt: Path,
             coco_root: Path,
             out: Path,
             nproc: int = 1) -> str:
    """The tool, or ``torchrun`` of it with ``--launcher pytorch``."""
    args = [
        str(TOOL),
        str(cfg),
        str(ckpt), '--out',
        str(out), '--data-root', f'{coco_root}/', '--bbox-file',
        str(coco_root / 'test_coco_det_AP_H_56.json'), '--batch-size', '4',
        '--num-workers', '1', '--work-dir',
        str(out.parent / 'work')
    ]
    if nproc == 1:
        cmd = [sys.executable, *args]
    else:
        torchrun = Path(sys.executable).with_name('torchrun')
        cmd = [
            str(torchrun), '--standalone', '--nproc_per_node',
            str(nproc), *args, '--launcher', 'pytorch'
        ]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([*cmd, '--cfg-options', *OPTIONS],
                          cwd=out.parent,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    return output


@pytest.fixture(scope='module')
def one_process(tiny_coco_cfg, guide_ckpt, coco_root, tmp_path_factory):
    """The guide file of a one-process run, and the run's output."""
    out = tmp_path_factory.mktemp('dump_1') / 'guide.json'
    return out, run_tool(tiny_coco_cfg, guide_ckpt, coco_root, out)


def test_one_process_dump(one_process, tiny_coco_cfg, guide_ckpt, coco_root,
                          tmp_path):
    out, output = one_process
    assert f'wrote {out}: {PERSONS} persons in 4 images' in output
    entries = json.loads(out.read_text())
    assert len(entries) == PERSONS
    keys = [(e['image_id'], e['bbox']) for e in entries]
    assert len(set(map(str, keys))) == PERSONS
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)

    # The in-process loop writes the same file.
    model = init_model(str(tiny_coco_cfg), str(guide_ckpt), device='cpu')
    cfg = Config.fromfile(str(tiny_coco_cfg))
    dataset = DATASETS.build(
        dict(cfg.test_dataloader.dataset,
             data_root=f'{coco_root}/',
             bbox_file=str(coco_root / 'test_coco_det_AP_H_56.json'),
             filter_cfg=dict(bbox_score_thr=0.3)))
    library = tmp_path / 'library.json'
    summary = dump_guide(model,
                         dataset,
                         str(library),
                         batch_size=4,
                         progress=False)
    assert summary['persons'] == PERSONS
    assert library.read_text() == out.read_text()

    # LoadGuideKeypoints finds every person's keypoints in it.
    load = LoadGuideKeypoints(guide_file=str(out))
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        result = load(dict(info))
        x, y, x1, y1 = info['bbox'][0]
        entry = next(e for e in entries if e['image_id'] == info['img_id']
                     and np.allclose(e['bbox'], [x, y, x1 - x, y1 - y]))
        triplets = np.asarray(entry['keypoints']).reshape(-1, 3)
        np.testing.assert_allclose(result['guide_keypoints'][0],
                                   triplets[:, :2],
                                   rtol=1e-6)
        np.testing.assert_allclose(result['guide_keypoint_scores'][0],
                                   triplets[:, 2],
                                   rtol=1e-6)


@pytest.mark.slow  # a 2-process torchrun (gloo on CPUs)
def test_two_processes_write_the_same_file(one_process, tiny_coco_cfg,
                                           guide_ckpt, coco_root, tmp_path):
    out = tmp_path / 'guide.json'
    output = run_tool(tiny_coco_cfg, guide_ckpt, coco_root, out, nproc=2)
    # 17 persons per rank (one padding repeat): 5 batches of 4.
    assert re.search(r'Epoch\(test\)\s+\[5/5\]', output), output[-4000:]
    assert f'{PERSONS} persons in 4 images' in output
    assert out.read_text() == one_process[0].read_text()
