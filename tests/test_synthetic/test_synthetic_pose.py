"""The synthetic pose generator: geometry, visibility, determinism, COCO."""
import hashlib
import json
import os
import os.path as osp

import numpy as np
import pytest

from mmpose_patchsel.synthetic import (COCO_JOINTS, generate_split,
                                       pose_figure, render_image,
                                       sample_figure)
from mmpose_patchsel.synthetic.figure import (JOINT, PROPORTIONS,
                                              sample_pose_angles)
from mmpose_patchsel.synthetic.render import (Canvas, PersonStyle,
                                              draw_occluder, draw_person,
                                              keypoint_visibility)

LIMBS = {
    ('left_shoulder', 'left_elbow'): 'upper_arm',
    ('right_elbow', 'right_wrist'): 'forearm',
    ('left_hip', 'left_knee'): 'thigh',
    ('right_knee', 'right_ankle'): 'shin',
}


@pytest.mark.parametrize('seed', range(20))
def test_limb_lengths_hold_in_every_pose_and_view(seed):
    figure = sample_figure(np.random.default_rng(seed))
    for (a, b), segment in LIMBS.items():
        length = np.linalg.norm(figure.joints[JOINT[a]] -
                                figure.joints[JOINT[b]])
        assert length == pytest.approx(PROPORTIONS[segment], abs=1e-9)


def test_view_decides_which_side_is_on_the_image_right():
    angles = sample_pose_angles(np.random.default_rng(0))
    front = pose_figure(angles, yaw=0.0, roll=0.0)
    back = pose_figure(angles, yaw=np.pi, roll=0.0)
    left, right = JOINT['left_hip'], JOINT['right_hip']
    # COCO: a person facing the camera has the left hip on the image right.
    assert front.joints[left, 0] > front.joints[right, 0]
    assert back.joints[left, 0] < back.joints[right, 0]
    # The nose is nearer than the head centre when facing the camera.
    assert front.joints[JOINT['nose'], 2] > front.head[2]
    assert back.joints[JOINT['nose'], 2] < back.head[2]


def draw_one(rng, yaw=0.0, height=200, width=160):
    canvas = Canvas(height, width)
    figure = pose_figure(sample_pose_angles(rng), yaw=yaw, roll=0.0)
    scale = 140.0
    kpts = draw_person(canvas, figure, PersonStyle(rng, (height, width)),
                       scale, np.array([width / 2, 70.0, 0.0]), label=1)
    return canvas, figure, kpts, scale


def test_visible_keypoints_lie_on_their_own_person():
    rng = np.random.default_rng(3)
    for _ in range(10):
        canvas, figure, kpts, scale = draw_one(rng, rng.uniform(-3, 3))
        flags = keypoint_visibility(canvas, kpts, figure, 1, scale)
        for (x, y, _), flag in zip(kpts, flags):
            if flag == 2:
                assert canvas.label[int(round(y)), int(round(x))] == 1


def test_side_view_hides_the_far_ear_and_back_view_the_face():
    rng = np.random.default_rng(0)
    canvas, figure, kpts, scale = draw_one(rng, yaw=np.pi / 2)
    flags = keypoint_visibility(canvas, kpts, figure, 1, scale)
    # Turned to the image right: the person's left side faces away.
    assert flags[JOINT['left_ear']] == 1
    assert flags[JOINT['right_ear']] == 2
    canvas, figure, kpts, scale = draw_one(rng, yaw=np.pi)
    flags = keypoint_visibility(canvas, kpts, figure, 1, scale)
    for name in ('nose', 'left_eye', 'right_eye'):
        assert flags[JOINT[name]] == 1, name


def test_an_occluder_in_front_makes_keypoints_occluded_not_missing():
    rng = np.random.default_rng(1)
    canvas, figure, kpts, scale = draw_one(rng)
    box = np.array([0, 0, canvas.shape[1], canvas.shape[0]], float)
    # A box far larger than the figure covers all of it.
    draw_occluder(canvas, np.random.default_rng(0), box, 20 * 200)
    flags = keypoint_visibility(canvas, kpts, figure, 1, scale)
    inside = (kpts[:, 0] >= 0) & (kpts[:, 1] >= 0)
    assert (flags[inside] == 1).all()


def test_keypoints_outside_the_image_are_unlabelled():
    rng = np.random.default_rng(5)
    seen_outside = 0
    for _ in range(60):
        image, annotations = render_image(rng, 160, 128)
        for ann in annotations:
            k = np.array(ann['keypoints']).reshape(17, 3)
            inside = ((k[:, 0] >= 0) & (k[:, 0] < 160) & (k[:, 1] >= 0) &
                      (k[:, 1] < 128))
            assert inside[k[:, 2] > 0].all()
            assert (k[k[:, 2] == 0, :2] == 0).all()
            assert ann['num_keypoints'] == int((k[:, 2] > 0).sum()) > 0
            x, y, w, h = ann['bbox']
            assert 0 <= x and 0 <= y and x + w <= 160 and y + h <= 128
            seen_outside += int((k[:, 2] == 0).sum())
    assert seen_outside > 0  # truncated figures do occur


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    def digest(out, seed):
        path = generate_split(str(out), 'train', 3, seed, 96, 80)
        blob = open(path, 'rb').read() + b''.join(
            open(osp.join(out, 'images', 'train', f'{i:06d}.jpg'),
                 'rb').read() for i in (1, 2, 3))
        return hashlib.sha256(blob).hexdigest()

    assert digest(tmp_path / 'a', 7) == digest(tmp_path / 'b', 7)
    assert digest(tmp_path / 'a', 7) != digest(tmp_path / 'c', 8)


def _split_bytes(out) -> dict:
    """Every file of a generated folder by its relative path."""
    return {osp.relpath(osp.join(d, f), out): open(osp.join(d, f),
                                                   'rb').read()
            for d, _, files in os.walk(out) for f in files}


def test_shards_make_the_same_data_with_any_number_of_workers(tmp_path):
    """Shards are their own random streams, so rendering them in parallel
    gives the bytes of rendering them one after another; the annotations
    number images and persons across the shards."""
    one = tmp_path / 'one'
    two = tmp_path / 'two'
    generate_split(str(one), 'train', 6, 5, 96, 80, shards=3)
    path = generate_split(str(two), 'train', 6, 5, 96, 80, shards=3,
                          workers=2)
    assert _split_bytes(one) == _split_bytes(two)
    data = json.load(open(path))
    assert [i['id'] for i in data['images']] == list(range(1, 7))
    assert [a['id'] for a in data['annotations']] == list(
        range(1, len(data['annotations']) + 1))
    assert {a['image_id'] for a in data['annotations']} <= set(range(1, 7))
    generate_split(str(tmp_path / 'single'), 'train', 6, 5, 96, 80)
    assert _split_bytes(one) != _split_bytes(tmp_path / 'single')


def test_more_shards_than_images_names_the_value(tmp_path):
    with pytest.raises(ValueError, match='shards=4'):
        generate_split(str(tmp_path), 'train', 3, shards=4)


def test_train_and_val_never_share_an_image(tmp_path):
    train = generate_split(str(tmp_path), 'train', 4, 0, 96, 80)
    val = generate_split(str(tmp_path), 'val', 4, 0, 96, 80)
    digests = {
        split: {hashlib.sha256(open(osp.join(tmp_path, 'images', split,
                                             f'{i:06d}.jpg'),
                                    'rb').read()).hexdigest()
                for i in range(1, 5)}
        for split in ('train', 'val')
    }
    assert not digests['train'] & digests['val']
    assert json.load(open(train))['info']['split'] == 'train'
    assert json.load(open(val))['info']['split'] == 'val'


def test_mmpose_reads_it_as_coco_and_it_says_synthetic(tmp_path):
    from mmpose.datasets import CocoDataset
    path = generate_split(str(tmp_path), 'val', 6, 0)
    info = json.load(open(path))['info']
    assert info['synthetic'] is True and 'SYNTHETIC' in info['description']
    dataset = CocoDataset(
        data_root=str(tmp_path),
        ann_file='annotations/synthetic_pose_val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=[])
    assert dataset.metainfo['num_keypoints'] == len(COCO_JOINTS) == 17
    sample = dataset[0]
    assert osp.isfile(sample['img_path'])
    assert sample['keypoints'].shape == (1, 17, 2)


@pytest.mark.parametrize('split,num', [('test', 2), ('train', 0)])
def test_bad_arguments_name_the_value(tmp_path, split, num):
    with pytest.raises(ValueError, match=split if num else 'num_images'):
        generate_split(str(tmp_path), split, num)


def test_generator_needs_no_openmmlab():
    """numpy, OpenCV and the standard library only: usable without mmpose."""
    import sys
    from pathlib import Path

    from patchsel_testing import imported_roots

    import mmpose_patchsel.synthetic as synthetic
    allowed = {'numpy', 'cv2'} | set(sys.stdlib_module_names)
    files = sorted(Path(synthetic.__file__).parent.glob('*.py'))
    assert len(files) == 5
    for path in files:
        roots = imported_roots(path)
        assert roots <= allowed, (path.name, roots - allowed)


def test_scene_options_place_the_figures():
    """Small figures centred in the image: none cut by the border; tall
    figures: taller boxes than the default; bad ranges name the option."""
    def annotations(**scene):
        rng = np.random.default_rng(11)
        return [a for _ in range(25)
                for a in render_image(rng, 160, 128, 0.0, **scene)[1]]

    for ann in annotations(person_height=(0.4, 0.5), centre_x=(0.4, 0.6)):
        k = np.array(ann['keypoints']).reshape(17, 3)
        assert (k[:, 2] > 0).all(), 'a centred figure lost a keypoint'
    assert any((np.array(a['keypoints'])[2::3] == 0).any()
               for a in annotations())  # the default cuts some

    def median_height(anns):
        return np.median([a['bbox'][3] for a in anns])

    assert median_height(annotations(person_height=(0.85, 0.95))) > \
        median_height(annotations(person_height=(0.4, 0.5)))
    with pytest.raises(ValueError, match='centre_x'):
        render_image(np.random.default_rng(0), 160, 128,
                     centre_x=(0.6, 0.4))
    with pytest.raises(ValueError, match='person_height'):
        render_image(np.random.default_rng(0), 160, 128,
                     person_height=(0.0, 0.5))
