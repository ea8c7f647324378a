"""A ready test-time pipeline that stops at the patch selection (for tools)."""
from typing import List, Optional, Tuple


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
