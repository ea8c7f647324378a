"""Helpers shared by the tests (importable: ``pythonpath = tests``)."""
import ast
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Iterable, Union

from mmpose.datasets import CocoDataset

INPUT_SIZE = (192, 256)


def load_script(path: Union[str, Path]) -> ModuleType:
    """A script (a tool, the demo) as a module of this process, to call its
    ``main`` without starting Python."""
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def imported_roots(path: Path) -> set:
    """Top-level packages that a source file imports absolutely."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {a.name.split('.')[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split('.')[0])
    return roots


def import_blocker(forbidden: Iterable[str]) -> str:
    """Python source that makes ``forbidden`` packages unimportable in the
    process that runs it (put it first in a ``python -c`` script)."""
    return f"""import importlib.abc, sys
FORBIDDEN = {sorted(forbidden)!r}


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in FORBIDDEN:
            raise ImportError('blocked ' + name)


sys.meta_path.insert(0, Block())
"""


def write_annotation_guide(coco_root: Path, path: Path,
                           drop_image: int = None) -> Path:
    """A guide file whose 'predictions' are the real COCO annotations."""
    ann = json.loads((coco_root / 'test_coco.json').read_text())
    files = {img['id']: img['file_name'] for img in ann['images']}
    entries = [
        dict(image_id=a['image_id'], category_id=1, bbox=a['bbox'],
             keypoints=a['keypoints'], score=1.0,
             file_name=files[a['image_id']])
        for a in ann['annotations'] if a['image_id'] != drop_image
    ]
    path.write_text(json.dumps(entries))
    return path


def selecting_coco_dataset(coco_root: Path, *tail: dict,
                           **selection) -> CocoDataset:
    """The bundled COCO persons, annotations as the guide, warped (UDP) and
    selected by ``SelectPatches(**selection)``, then the ``tail``
    transforms."""
    return CocoDataset(
        data_root=str(coco_root),
        ann_file='test_coco.json',
        data_prefix=dict(img=''),
        pipeline=[
            dict(type='LoadImage'),
            dict(type='GetBBoxCenterScale'),
            dict(type='GenerateGTGuideKeypoints'),
            dict(type='TopdownAffine', input_size=INPUT_SIZE, use_udp=True),
            dict(type='SelectPatches', input_size=INPUT_SIZE, **selection),
            *tail,
        ])


def strip_scope(obj):
    """A config value with the ``_scope_`` keys mmengine adds to dicts from
    mmpose's configs dropped and tuples as lists, to compare by content."""
    if isinstance(obj, dict):
        return {k: strip_scope(v) for k, v in obj.items() if k != '_scope_'}
    if isinstance(obj, (list, tuple)):
        return [strip_scope(v) for v in obj]
    return obj


def config_id(config: str) -> str:
    """A parametrised config's test id: its file name (pytest numbers a
    value over 100 characters, which ``-k`` then cannot select)."""
    return Path(config).name


def small_sapiens_estimator(seed: int = 0, **head: dict):
    """A ``PatchSelTopdownEstimator`` shaped as Sapiens' at toy size: a
    one-block 32-dim ``PatchSelViT`` at 256x192 (patch padding 2) and a
    ``SapiensHeatmapHead`` with two deconvs and two 1x1 convs of 16
    channels (``head`` overrides its arguments); flip test, eval mode."""
    import torch
    from mmpose.registry import MODELS
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(type='PatchSelTopdownEstimator',
             data_preprocessor=dict(
                 type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                 std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
             backbone=dict(type='PatchSelViT',
                           arch=dict(embed_dims=32, num_layers=1,
                                     num_heads=2),
                           img_size=(256, 192), with_cls_token=False,
                           out_type='featmap', patch_cfg=dict(padding=2)),
             head=dict(dict(type='SapiensHeatmapHead', in_channels=32,
                            out_channels=17, deconv_out_channels=(16, 16),
                            deconv_kernel_sizes=(4, 4),
                            conv_out_channels=(16, 16),
                            conv_kernel_sizes=(1, 1),
                            decoder=dict(type='UDPHeatmap',
                                         input_size=INPUT_SIZE,
                                         heatmap_size=(48, 64), sigma=2)),
                       **head),
             test_cfg=dict(flip_test=True, flip_mode='heatmap',
                           shift_heatmap=False)))
    model.init_weights()
    return model.eval()


def selected_batch(model, coco_root: Path, num_keep: int = 48,
                   persons: int = 2) -> dict:
    """The first ``persons`` bundled COCO persons with the skeleton
    selection (``num_keep`` tokens, the annotation as the guide), through
    ``model``'s data preprocessor: keyword arguments of its forward."""
    from mmengine.dataset import pseudo_collate
    dataset = selecting_coco_dataset(coco_root,
                                     dict(type='PackPatchSelInputs'),
                                     mode='skeleton', num_keep=num_keep)
    return model.data_preprocessor(
        pseudo_collate([dataset[i] for i in range(persons)]),
        training=False)
