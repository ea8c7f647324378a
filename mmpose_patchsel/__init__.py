"""mmpose-patchsel: run a ViT pose estimator only on the patches that matter.

Importing the package registers every component in mmpose's registries, so
``custom_imports = dict(imports=['mmpose_patchsel'])`` is all a config needs.
It loads the runtime only (models, transforms, hooks, metrics, visualizer,
the ``apis`` users call); what the tools and tests use is imported by its full
path: :mod:`mmpose_patchsel.analysis` (benchmark helpers),
:mod:`mmpose_patchsel.synthetic` (synthetic data) and
:mod:`mmpose_patchsel.video` (clips and frame readers).
"""
from .apis import *  # noqa: F401,F403
from .datasets import *  # noqa: F401,F403
from .engine import *  # noqa: F401,F403
from .evaluation import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .version import __version__
from .visualization import *  # noqa: F401,F403

__all__ = ['__version__']
