"""Datasets that stop at the patch selection, for the analysis tools."""
from typing import List, Optional, Tuple

from mmpose.registry import DATASETS


def selection_pipeline(input_size: Tuple[int, int],
                       select_cfg: dict,
                       guide_file: Optional[str] = None,
                       use_udp: bool = True) -> List[dict]:
    """Load -> guide -> ``TopdownAffine`` -> ``SelectPatches`` configs.

    The guide is ``guide_file`` (``LoadGuideKeypoints``) when given, else the
    annotation itself (``GenerateGTGuideKeypoints`` without noise).
    """
    guide = dict(type='LoadGuideKeypoints', guide_file=guide_file) \
        if guide_file else dict(type='GenerateGTGuideKeypoints')
    return [
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        guide,
        dict(type='TopdownAffine', input_size=input_size, use_udp=use_udp),
        dict(
            type='SelectPatches',
            input_size=input_size,
            use_udp=use_udp,
            **select_cfg),
    ]


def build_selection_dataset(dataset_type: str,
                            data_root: str,
                            ann_file: str,
                            input_size: Tuple[int, int],
                            select_cfg: dict,
                            guide_file: Optional[str] = None,
                            img_prefix: str = ''):
    """A test-mode mmpose dataset whose samples end with their selection."""
    return DATASETS.build(
        dict(
            type=dataset_type,
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=dict(img=img_prefix),
            test_mode=True,
            pipeline=selection_pipeline(input_size, select_cfg, guide_file)))
