"""The video demo end to end on a short clip of a shifted COCO photo."""
import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmpose.apis import init_model

from mmpose_patchsel.apis import PatchSelPoseTracker
from mmpose_patchsel.video import iter_frames, load_box_file, write_clip

PROJECT = Path(__file__).resolve().parents[2]
DEMO = PROJECT / 'demo' / 'patchsel_video_demo.py'
PHOTO = '000000040083.jpg'  # two annotated persons apart (and one empty)
FRAMES = 5
SHIFT = 6  # pixels to the right per frame


@pytest.fixture(scope='module')
def clip(coco_root, tmp_path_factory):
    """5 frames of the photo moving right, its persons moved with it, then
    a 6th frame file that is no image."""
    ann = json.loads((coco_root / 'test_coco.json').read_text())
    image_id = next(im['id'] for im in ann['images']
                    if im['file_name'] == PHOTO)
    persons = [a for a in ann['annotations']
               if a['image_id'] == image_id and a['num_keypoints'] > 0]
    assert len(persons) == 2
    photo = cv2.imread(str(coco_root / PHOTO))
    frames, per_frame = [], []
    for t in range(FRAMES):
        dx = SHIFT * t
        shift = np.float32([[1, 0, dx], [0, 1, 0]])
        frames.append(cv2.warpAffine(photo, shift, photo.shape[1::-1],
                                     borderMode=cv2.BORDER_REPLICATE))
        moved = []
        for track_id, person in enumerate(persons):
            kpts = np.array(person['keypoints'], float).reshape(17, 3)
            kpts[kpts[:, 2] > 0, 0] += dx
            x, y, w, h = person['bbox']
            moved.append(dict(keypoints=kpts, bbox=[x + dx, y, w, h],
                              track_id=track_id))
        per_frame.append(moved)
    info = dict(description=f'{PHOTO} shifted {SHIFT} px right per frame',
                synthetic=False)
    folder = write_clip(str(tmp_path_factory.mktemp('clips')), frames,
                        per_frame, info, name='shifted')
    with open(f'{folder}/frames/{FRAMES:06d}.jpg', 'wb') as f:
        f.write(b'not a jpeg')
    return folder


def _summary(stdout: str, key: str) -> str:
    match = re.search(rf'\[video demo\] {key}: (.*)', stdout)
    assert match, f'no "{key}:" line in the demo output:\n{stdout}'
    return match.group(1)


def test_demo_writes_the_video_gif_and_summary(clip, tiny_coco_cfg,
                                               guide_ckpt, tmp_path):
    out, gif = tmp_path / 'out.mp4', tmp_path / 'out.gif'
    box_file = f'{clip}/annotations.json'
    proc = subprocess.run([
        sys.executable, str(DEMO), clip, str(tiny_coco_cfg),
        str(guide_ckpt), '--out', str(out), '--box-file', box_file,
        '--min-pose-score', '0', '--gif', str(gif),
        '--fps', '10', '--gif-fps', '5'
    ], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    stdout = proc.stdout

    # Every frame is in the video, drawn over the frame's photo; the
    # unreadable one is black.
    cap = cv2.VideoCapture(str(out))
    written = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        written.append(image)
    cap.release()
    assert len(written) == FRAMES + 1
    assert written[-1][100:].max() < 30
    first = cv2.imread(f'{clip}/frames/000000.jpg')
    # 500x333: the codec's even size drops the last row.
    assert written[0].shape == (332, 500, 3)
    first = first[:332]
    assert np.abs(written[0].astype(int) - first).mean() > 1, \
        'nothing drawn on the frame'
    assert np.abs(written[0].astype(int) - first)[:, 430:].mean() < 12, \
        'the frame under the drawing is not the clip frame'

    # The summary agrees with the tracker run in-process on the same clip:
    # the two persons are new on frame 0 and fall back to the full grid
    # (the tiny model has no online guide); afterwards their previous poses
    # (min score 0) guide them.
    model = init_model(str(tiny_coco_cfg), str(guide_ckpt), device='cpu')
    tracker = PatchSelPoseTracker(
        model, detector=load_box_file(box_file),
        min_pose_score=0.0)
    for index, frame in iter_frames(clip):
        tracker.track(frame, index)
    stats = tracker.stats
    assert stats.fallbacks == 2
    assert stats.by_source == dict(previous=2 * (FRAMES - 1), online=0,
                                   full=2)
    assert stats.frames == FRAMES + 1 and stats.bad_frames == 1
    assert _summary(stdout, 'frames') == (
        f'{FRAMES + 1} (unreadable 1, without persons 0)')
    assert _summary(stdout, 'persons') == (
        f'{2 * FRAMES} (previous {2 * (FRAMES - 1)}, online 0, full 2)')
    assert _summary(stdout, 'fallbacks').startswith('2 ')
    assert re.match(r'tracker median [\d.]+ ms, mean [\d.]+ ms; with '
                    r'drawing median [\d.]+ ms, mean [\d.]+ ms',
                    _summary(stdout, 'latency per frame'))
    assert _summary(stdout, 'video') == f'{FRAMES + 1} frames -> {out}'

    # 10 fps video, 5 fps GIF: every other readable frame, <= 320 px wide.
    from PIL import Image
    with Image.open(gif) as image:
        assert image.n_frames == 3
        assert image.size[0] <= 320
    assert _summary(stdout, 'gif') == f'3 frames -> {gif}'


def test_box_file_formats(tmp_path):
    plain = tmp_path / 'boxes.json'
    plain.write_text(json.dumps({'0': [[1, 2, 3, 4, 0.9]], '2': [],
                                 '1': [[5, 6, 7, 8]]}))
    boxes = load_box_file(str(plain))
    assert sorted(boxes) == [0, 1, 2]
    np.testing.assert_allclose(boxes[0], [[1, 2, 3, 4, 0.9]])
    assert boxes[1].shape == (1, 4) and boxes[2].shape == (0, 5)

    coco = tmp_path / 'annotations.json'
    coco.write_text(json.dumps(dict(
        images=[dict(id=7, frame_index=0), dict(id=8, frame_index=1)],
        annotations=[dict(id=1, image_id=8, bbox=[10, 20, 30, 40]),
                     dict(id=2, image_id=8, bbox=[0, 0, 5, 5], iscrowd=1)])))
    boxes = load_box_file(str(coco))
    assert boxes[0].shape == (0, 5)
    np.testing.assert_allclose(boxes[1], [[10, 20, 40, 60, 1]])

    coco.write_text(json.dumps(dict(images=[dict(id=7)], annotations=[])))
    with pytest.raises(KeyError, match='frame_index'):
        load_box_file(str(coco))
    plain.write_text(json.dumps({'first': [[1, 2, 3, 4]]}))
    with pytest.raises(ValueError, match="key 'first'"):
        load_box_file(str(plain))
    plain.write_text(json.dumps({'0': [[1, 2, 3]]}))
    with pytest.raises(ValueError, match='frame 0'):
        load_box_file(str(plain))
