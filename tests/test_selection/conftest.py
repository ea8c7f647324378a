"""Shared constants of the selection tests."""
import pytest

# COCO skeleton from mmpose's coco.py metainfo (0-based, as
# ``parse_pose_metainfo`` returns ``skeleton_links``).
COCO_SKELETON = [(15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11),
                 (6, 12), (5, 6), (5, 7), (6, 8), (7, 9), (8, 10), (1, 2),
                 (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6)]
# COCO flip_indices from the same metainfo.
COCO_FLIP_INDICES = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


@pytest.fixture(scope='session')
def coco_skeleton():
    return list(COCO_SKELETON)


@pytest.fixture(scope='session')
def coco_flip_indices():
    return list(COCO_FLIP_INDICES)
