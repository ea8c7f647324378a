"""Sphinx configuration: Markdown pages (MyST) and an API reference
generated from the package's docstrings.

Build: ``make docs`` (``python -m sphinx -W --keep-going -b html docs
docs/_build/html``); warnings are errors.
"""
import os
import sys

DOCS = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(DOCS)
# The package from this checkout, also when it is not installed.
sys.path.insert(0, PROJECT)


def read_version() -> str:
    """The package version, read as setup.py reads it (importing the
    package would load torch and mmpose just for a string)."""
    scope = {}
    with open(os.path.join(PROJECT, 'mmpose_patchsel', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


project = 'mmpose-patchsel'
author = 'mmpose-patchsel contributors'
copyright = '2023-2026, mmpose-patchsel contributors'
version = release = read_version()

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.autosummary',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
]

source_suffix = {'.md': 'markdown', '.rst': 'restructuredtext'}
root_doc = 'index'
templates_path = ['_templates']
# results/ holds the JSON and logs that tables are generated from; it is
# read by tools, not rendered.
exclude_patterns = ['_build', '_templates', 'results', 'Thumbs.db',
                    '.DS_Store']

# MyST: anchors for '#section' links in Markdown, ```{eval-rst} blocks.
myst_heading_anchors = 3
myst_enable_extensions = ['colon_fence']

# API: one page per module, found by walking the package (autosummary
# :recursive:), so new modules appear without editing api.md.
autosummary_generate = True
autosummary_imported_members = False
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_class_signature = 'separated'
# A method that overrides mmpose's without a docstring of its own is not
# documented with mmpose's text (whose markup is not ours to fix).
autodoc_inherit_docstrings = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
# 'Attributes:' sections as fields of their class, so that the attributes
# autodoc documents on their own are not described twice.
napoleon_use_ivar = True


def skip_namedtuple_fields(app, what, name, obj, skip, options):
    """Skip a NamedTuple's field properties: their docstring is only
    'Alias for field number N'; the class's Attributes section says what
    each field is."""
    doc = getattr(obj, '__doc__', None) or ''
    if doc.startswith('Alias for field number'):
        return True
    return None


def setup(app):
    app.connect('autodoc-skip-member', skip_namedtuple_fields)

html_theme = 'furo'
html_title = f'mmpose-patchsel {release}'
