"""The runtime needs no torch and nothing of OpenMMLab or this project."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from patchsel_testing import import_blocker, imported_roots

import patchsel_runtime
from test_runtime.tiny_onnx import (constant_model, heatmap_codec, make_card,
                                    render_model)

PKG = Path(patchsel_runtime.__file__).resolve().parent
FORBIDDEN = ('torch', 'mmengine', 'mmcv', 'mmpose', 'mmdet', 'mmpose_patchsel')
ALLOWED = {'numpy', 'cv2', 'onnxruntime'} | set(sys.stdlib_module_names)


def test_sources_import_only_numpy_cv2_onnxruntime():
    files = sorted(PKG.glob('*.py'))
    assert len(files) >= 8
    for path in files:
        roots = imported_roots(path)
        assert roots <= ALLOWED, (path.name, roots - ALLOWED)


BLOCKED_RUN = '''
import numpy as np
import onnxruntime as ort
import patchsel_runtime as rt
from patchsel_runtime.decode import decode_outputs
from patchsel_runtime.preprocess import crop_persons

image = np.random.default_rng(0).integers(0, 255, (120, 90, 3), np.uint8)
boxes = np.array([[10, 10, 60, 100], [30, 5, 85, 70]], np.float32)
crops = crop_persons(image, boxes, (48, 64), 1.25, True,
                     [123.675, 116.28, 103.53], [58.395, 57.12, 57.375])
assert crops.inputs.shape == (2, 3, 64, 48), crops.inputs.shape
maps = np.zeros((2, 17, 16, 12), np.float32)
maps[:, :, 5, 7] = 1
codec = dict(type='UDPHeatmap', input_size=[48, 64], heatmap_size=[12, 16])
kpts, scores = decode_outputs(dict(heatmaps=maps), codec)
assert kpts.shape == (2, 17, 2) and (scores == 1).all()

options = ort.SessionOptions()
options.intra_op_num_threads = 1
load = lambda p: rt.OnnxPoseModel(p, ['CPUExecutionProvider'], options)
pose = rt.PatchSelPose(load({selected!r}), guide=load({guide!r}))
kpts, scores = pose(image, boxes)
assert kpts.shape == (2, 17, 2) and scores.shape == (2, 17)
tracker = rt.PatchSelPoseTracker(pose)
tracker.track(image, boxes)
assert tracker.track(image, boxes).sources == ['previous'] * 2
loaded = [m for m in sys.modules if m.split('.')[0] in FORBIDDEN]
assert not loaded, loaded
print('ok')
'''


def test_runtime_runs_with_torch_and_openmmlab_blocked(tmp_path):
    guide_card = make_card('guide', (24, 32),
                           heatmap_codec('UDPHeatmap', (24, 32)))
    heatmaps = np.zeros((17, 8, 6), np.float32)
    heatmaps[:, 4, 3] = 1
    guide = constant_model(tmp_path / 'guide.onnx', guide_card,
                           dict(heatmaps=heatmaps))
    selected = render_model(tmp_path / 'selected.onnx',
                            make_card('selected', (48, 64)))
    code = import_blocker(FORBIDDEN) + BLOCKED_RUN.format(
        selected=str(selected), guide=str(guide))
    env = dict(os.environ, PYTHONPATH=str(PKG.parent), OMP_NUM_THREADS='1')
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         cwd=tmp_path,
                         env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'ok'
