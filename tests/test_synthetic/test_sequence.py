"""Synthetic clips: seeded, tracks keep their ids, motion is smooth,
figures come and go, the camera pans."""
import cv2
import numpy as np
import pytest

from mmpose_patchsel.synthetic import generate_sequence


@pytest.fixture(scope='module')
def clips():
    return {
        seed: generate_sequence(np.random.default_rng(seed), 40)
        for seed in range(4)
    }


def test_same_seed_same_clip():
    a = generate_sequence(np.random.default_rng(11), 5)
    b = generate_sequence(np.random.default_rng(11), 5)
    assert all((x == y).all() for x, y in zip(a[0], b[0]))
    for pa, pb in zip(a[1], b[1]):
        assert [p['track_id'] for p in pa] == [p['track_id'] for p in pb]
        for x, y in zip(pa, pb):
            assert (x['keypoints'] == y['keypoints']).all()
    c = generate_sequence(np.random.default_rng(12), 5)
    assert not (a[0][0] == c[0][0]).all()


def test_frames_look_like_the_stills(clips):
    for frames, persons in clips.values():
        assert all(f.shape == (256, 320, 3) and f.dtype == np.uint8
                   for f in frames)
        for people in persons:
            assert len(people) <= 3
            for p in people:
                flags = p['keypoints'][:, 2]
                assert set(flags) <= {0, 1, 2} and (flags > 0).any()
                assert p['num_keypoints'] == (flags > 0).sum()
                span = np.ptp(p['keypoints'][flags > 0, 1])
                assert span < 0.95 * 256


def test_tracks_move_smoothly(clips):
    moved = []
    for frames, persons in clips.values():
        for prev, cur in zip(persons, persons[1:]):
            before = {p['track_id']: p['keypoints'] for p in prev}
            for p in cur:
                if p['track_id'] not in before:
                    continue
                both = (before[p['track_id']][:, 2] > 0) & (
                    p['keypoints'][:, 2] > 0)
                step = np.linalg.norm(
                    p['keypoints'][both, :2] -
                    before[p['track_id']][both, :2], axis=1)
                if len(step):
                    # A figure is 0.55-0.95 of 256 px tall.
                    assert step.max() < 0.2 * 256
                    moved.append(step.mean())
    assert len(moved) > 50 and np.mean(moved) > 1.0


def test_figures_enter_and_leave(clips):
    changed = 0
    for frames, persons in clips.values():
        ids = [frozenset(p['track_id'] for p in people) for people in persons]
        changed += len(set(ids)) > 1
    assert changed >= 3  # in most clips someone comes or goes


def test_camera_pans(clips):
    for frames, persons in clips.values():
        a, b = (cv2.cvtColor(frames[i], cv2.COLOR_BGR2GRAY).astype(
            np.float32) for i in (0, 20))
        (dx, dy), _ = cv2.phaseCorrelate(a, b)
        assert np.hypot(dx, dy) > 1.0
