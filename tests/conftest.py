"""Shared fixtures: the real MMPose test images beside the project."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS
from mmpose.utils import register_all_modules

import mmpose_patchsel  # noqa: F401  (registers the plugin's modules)
from patchsel_testing import write_annotation_guide

# Components resolve in mmpose's scope, as under a mmpose config.
register_all_modules(init_default_scope=True)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TESTDATA = PROJECT_ROOT.parent / 'shared' / 'data' / 'mmpose_testdata'
TEST_CONFIGS = PROJECT_ROOT / 'tests' / 'data' / 'configs'
TINY_COCO_CFG = (
    TEST_CONFIGS / 'td-hm_patchsel-vit-tiny_coco-testdata-256x192.py')
#: The session fixture of ``tests/test_tools``: the accuracy benchmark's
#: CI run, the longest setup of the suite.
CI_BENCHMARK = 'ci_benchmark'


def pytest_collection_modifyitems(items: list) -> None:
    """Run the long tests first.

    ``make test`` hands each free pytest-xdist worker the next test
    (``--maxschedchunk 1``), so long tests first spread over the workers
    and the quick ones fill in at the end. The first test on the CI
    benchmark comes first, as it builds the benchmark. The other tests on
    the benchmark wait for it, so they come after the slow tests, when it
    is ready.
    """
    users = [item for item in items if CI_BENCHMARK in item.fixturenames]

    def rank(item) -> int:
        if users and item is users[0]:
            return 0
        if item in users:
            return 2
        return 1 if item.get_closest_marker('slow') else 3

    items.sort(key=rank)


@pytest.fixture(scope='session')
def testdata_root() -> Path:
    """``../shared/data/mmpose_testdata``; skip where it is absent."""
    if not TESTDATA.is_dir():
        pytest.skip(f'real test data not found at {TESTDATA} (the shared '
                    'mmpose_testdata folder must sit beside the project)')
    return TESTDATA


@pytest.fixture(scope='session')
def coco_root(testdata_root: Path) -> Path:
    return testdata_root / 'coco'


@pytest.fixture(scope='session')
def tiny_coco_cfg() -> Path:
    """A tiny PatchSelViT config inheriting mmpose's ViTPose-S config."""
    return TINY_COCO_CFG


@pytest.fixture(scope='session')
def coco_cfg_options(coco_root: Path) -> dict:
    """``--cfg-options`` pointing a COCO config at the real test set."""
    root = f'{coco_root}/'
    return {
        'train_dataloader.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'val_evaluator.ann_file': root + 'test_coco.json',
        'test_evaluator.ann_file': root + 'test_coco.json',
    }


@pytest.fixture(scope='session')
def coco_guide_file(coco_root: Path, tmp_path_factory) -> Path:
    return write_annotation_guide(
        coco_root, tmp_path_factory.mktemp('guide') / 'guide.json')


@pytest.fixture(scope='session')
def guide_ckpt(tiny_coco_cfg: Path, tmp_path_factory) -> Path:
    """An online guide's checkpoint: the tiny model, fixed random weights."""
    torch.manual_seed(1)
    model = MODELS.build(Config.fromfile(str(tiny_coco_cfg)).model)
    model.init_weights()
    path = tmp_path_factory.mktemp('guide_ckpt') / 'guide.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path
