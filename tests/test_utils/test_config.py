"""Finding a transform in a config's test pipeline."""
from mmengine.config import Config

from mmpose_patchsel.utils import find_test_transform


def _cfg():
    pipeline = [
        dict(type='LoadImage'),
        dict(type='TopdownAffine', use_udp=True),
        dict(type='TopdownAffine', use_udp=False),
    ]
    return Config(dict(test_dataloader=dict(dataset=dict(pipeline=pipeline))))


def test_finds_the_first_transform_of_the_type():
    transform = find_test_transform(_cfg(), 'TopdownAffine')
    assert transform == dict(type='TopdownAffine', use_udp=True)


def test_none_without_the_transform():
    assert find_test_transform(_cfg(), 'SelectPatches') is None
