"""mmpose-patchsel: run a ViT pose estimator only on the patches that matter.

Importing the package registers every component in mmpose's registries, so
``custom_imports = dict(imports=['mmpose_patchsel'])`` is all a config needs.
"""
from .analysis import *  # noqa: F401,F403
from .apis import *  # noqa: F401,F403
from .datasets import *  # noqa: F401,F403
from .engine import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .video import *  # noqa: F401,F403
from .visualization import *  # noqa: F401,F403
from .version import __version__

__all__ = ['__version__']
