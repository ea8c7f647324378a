"""Pan/zoom clips of a real COCO photo: the frame and its ground truth are
moved by the same, recorded affine; keypoints that leave get v=0."""
import json

import cv2
import numpy as np
import pytest

from mmpose_patchsel.video import (load_clip, make_pan_zoom_clip,
                                   make_pan_zoom_clips, pan_zoom_matrices,
                                   pan_zoom_sequence)


@pytest.fixture(scope='module')
def photo(coco_root):
    with open(coco_root / 'test_coco.json') as f:
        coco = json.load(f)
    anns = [a for a in coco['annotations'] if a['image_id'] == 197388]
    return str(coco_root / '000000197388.jpg'), anns


def test_dot_lands_on_its_keypoint():
    image = np.zeros((160, 200, 3), np.uint8)
    yy, xx = np.mgrid[:160, :200]
    source = (61.3, 72.6)
    dot = np.exp(-((xx - source[0])**2 + (yy - source[1])**2) / 8)
    image[..., 1] = np.round(250 * dot).astype(np.uint8)
    kpts = np.zeros((17, 3))
    kpts[0] = (*source, 2)
    person = dict(keypoints=kpts.reshape(-1).tolist(),
                  bbox=[40, 50, 40, 40], area=1600)
    frames, persons, mats = pan_zoom_sequence(image, [person], 6, period=12)
    assert not np.allclose(mats[0], mats[-1])
    for frame, people in zip(frames, persons):
        assert len(people) == 1 and people[0]['track_id'] == 0
        weight = frame[..., 1].astype(float)
        found = [(weight * xx).sum() / weight.sum(),
                 (weight * yy).sum() / weight.sum()]
        np.testing.assert_allclose(people[0]['keypoints'][0, :2], found,
                                   atol=0.3)


def test_clip_ground_truth_follows_the_affine(photo, tmp_path):
    image_file, anns = photo
    folder = make_pan_zoom_clip(image_file, anns, 8, str(tmp_path),
                                period=8)
    clip = load_clip(folder)
    info = clip.info
    assert info['synthetic'] is False and 'TRANSFORMED PHOTO' in (
        info['description'])
    src = cv2.imread(image_file)
    h, w = src.shape[:2]
    mats = np.array(info['affines'])
    np.testing.assert_allclose(
        mats, pan_zoom_matrices(8, (w, h), period=8), atol=1e-5)
    dropped_kpts = 0
    for t in range(len(clip)):
        frame = cv2.imread(clip.frame_files[t]).astype(int)
        err = [np.abs(frame - cv2.warpAffine(src, m, (w, h))).mean()
               for m in (mats[t], mats[(t + 1) % len(mats)])]
        assert err[0] < 5 and err[1] > 2 * err[0]  # jpeg error only
        by_track = {a['track_id']: a for a in clip.persons(t)}
        for index, ann in enumerate(anns):
            kpts = np.array(ann['keypoints'], float).reshape(17, 3)
            moved = kpts[:, :2] @ mats[t][:, :2].T + mats[t][:, 2]
            inside = ((moved >= 0) & (moved <= [w - 1, h - 1])).all(1)
            keep = (kpts[:, 2] > 0) & inside
            assert (index in by_track) == keep.any()
            if not keep.any():
                continue
            gt = np.array(by_track[index]['keypoints']).reshape(17, 3)
            np.testing.assert_allclose(gt[keep, :2], moved[keep], atol=0.01)
            assert (gt[keep, 2] == kpts[keep, 2]).all()
            assert (gt[~keep] == 0).all()
            dropped_kpts += int(((kpts[:, 2] > 0) & ~inside).sum())
            x, y, bw, bh = by_track[index]['bbox']
            assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h
    assert dropped_kpts > 0  # zoomed in: some keypoints left the frame
    assert len(clip.persons(4)) < len(clip.persons(0))


def test_one_clip_per_annotated_photo(coco_root, tmp_path):
    folders = make_pan_zoom_clips(str(coco_root), str(tmp_path), 2)
    assert len(folders) == 4
    assert load_clip(folders[0]).name == 'pan_zoom_000000000785'
    with pytest.raises(FileNotFoundError, match='nothing.json'):
        make_pan_zoom_clips(str(coco_root), str(tmp_path), 2,
                            ann_file='nothing.json')
