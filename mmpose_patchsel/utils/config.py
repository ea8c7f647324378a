"""Reading a config's pieces (pure python: any mapping of mmengine's)."""
from typing import Optional


def find_test_transform(cfg, name: str) -> Optional[dict]:
    """The first transform of type ``name`` in the test pipeline of
    ``cfg``; None if it has none."""
    for transform in cfg.test_dataloader.dataset.pipeline:
        if transform['type'] == name:
            return transform
    return None
