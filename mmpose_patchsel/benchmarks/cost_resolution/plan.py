"""What the cost-against-resolution benchmark measures: models, input
sizes, token settings, the guide and the targets it is checked against."""
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

PROJECT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


class ModelSpec(NamedTuple):
    """A model by the name the tool takes: its label and full config."""
    label: str
    config: str  # relative to the project


#: The full (no selection) configs, moved to each input size by
#: :func:`~mmpose_patchsel.analysis.input_size.at_input_size`. ViT-L has
#: Sapiens-0.3B's backbone (1024 dims, 24 layers, 16 heads) with mmpose's
#: ViTPose head; the Sapiens models have Sapiens' head.
MODELS: Dict[str, ModelSpec] = {
    'vit-b':
    ModelSpec(
        'ViT-B', 'configs/coco/'
        'td-hm_patchsel-vit-base-full_8xb64-210e_coco-256x192.py'),
    'vit-l':
    ModelSpec(
        'ViT-L', 'configs/coco/'
        'td-hm_patchsel-vit-large-full_8xb64-210e_coco-256x192.py'),
    'sapiens-0.3b':
    ModelSpec(
        'Sapiens 0.3B', 'configs/sapiens/'
        'td-hm_patchsel-sapiens-0.3b-full_8xb64-210e_coco-1024x768.py'),
    'sapiens-1b':
    ModelSpec(
        'Sapiens 1B', 'configs/sapiens/'
        'td-hm_patchsel-sapiens-1b-full_8xb64-210e_coco-1024x768.py'),
}
DEFAULT_MODELS = ('vit-b', 'vit-l', 'sapiens-1b')
#: (w, h), as mmpose's ``input_size``.
DEFAULT_SIZES = ((192, 256), (288, 384), (384, 512), (768, 1024))
#: Budgets as fractions of the grid's tokens.
BUDGETS = (0.5, 0.25)
#: The configs' skeleton selection (configs/_base_/patchsel_selection.py)
#: with no budget: its kept tokens are its natural count.
SKELETON = dict(mode='skeleton', num_neighbours=0, score_thr=0.3)
GUIDE = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
         'td-hm_litehrnet-18_8xb64-210e_coco-256x192.py')
DATA_ROOT = osp.join(PROJECT, '..', 'shared', 'data', 'mmpose_testdata',
                     'coco')
ANN_FILE = 'test_coco.json'


class Setting(NamedTuple):
    """A row of a cell: its name and kept tokens (None: the full grid)."""
    name: str
    num_keep: Optional[int]


def settings(num_patches: int,
             natural: float,
             budgets: Sequence[float] = BUDGETS) -> List[Setting]:
    """Full grid, skeleton's natural count (the mean, rounded) and each
    budget as a fraction of ``num_patches``."""
    rows = [Setting('full', None), Setting('skeleton', max(1, round(natural)))]
    rows += [
        Setting(f'{fraction:.0%}', max(1, round(fraction * num_patches)))
        for fraction in budgets
    ]
    return rows


class Target(NamedTuple):
    """A claim checked in one row: ``row[key]`` at least (or below)
    ``threshold``."""
    text: str
    model: str
    input_size: Tuple[int, int]  # (w, h)
    setting: str
    key: str
    threshold: float
    at_least: bool = True
    #: Another value of the row shown beside it: (what, key).
    also: Optional[Tuple[str, str]] = None

    def met(self, value: float) -> bool:
        return value >= self.threshold if self.at_least else \
            value < self.threshold


#: What the benchmark is checked against (docs/cost.md), at batch 1.
TARGETS = (
    Target('backbone speed-up >= 0.9x its FLOPs bound', 'vit-l', (768, 1024),
           '25%', 'backbone_of_bound', 0.9),
    Target('whole model with the guide >= 3x the full model', 'vit-l',
           (768, 1024), '25%', 'with_guide_speedup', 3.0),
    Target("activation memory < 1/4 of the full model's",
           'vit-l', (768, 1024),
           '25%',
           'activation_vs_full',
           0.25,
           at_least=False,
           also=('the backbone alone', 'backbone_activation_vs_full')),
)
