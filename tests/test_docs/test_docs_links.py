"""The README and the docs pages hold together: every page is reachable
from the docs' table of contents, and every relative link or image points
at a file that exists (and, for a ``#section`` of a Markdown page, at a
heading of that page)."""
import re
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DOCS = PROJECT / 'docs'
PAGES = sorted(DOCS.glob('*.md'))
LINKED = [PROJECT / 'README.md', PROJECT / 'CHANGELOG.md', *PAGES]

FENCE = re.compile(r'^(`{3,}|~{3,}).*?^\1[ \t]*$', re.S | re.M)
INLINE_CODE = re.compile(r'`[^`\n]*`')
LINK = re.compile(r'!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
HTML_SRC = re.compile(r'<(?:img|a)\b[^>]*?(?:src|href)="([^"]+)"', re.I)
TOCTREE = re.compile(r'^```\{toctree\}[^\n]*\n(.*?)^```', re.S | re.M)


def prose(text: str) -> str:
    """The Markdown without code: fenced blocks and inline code hold
    commands and paths, not links."""
    return INLINE_CODE.sub('', FENCE.sub('', text))


def relative_links(path: Path) -> Iterator[Tuple[str, str]]:
    """(file part, anchor) of each relative link and image of a page."""
    text = prose(path.read_text(encoding='utf-8'))
    for target in LINK.findall(text) + HTML_SRC.findall(text):
        if re.match(r'^[a-z][a-z0-9+.-]*:', target, re.I):  # http:, mailto:
            continue
        file_part, _, anchor = target.partition('#')
        yield file_part, anchor


def slug(heading: str) -> str:
    """A heading's anchor as GitHub and MyST's ``myst_heading_anchors``
    make it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r'[`*_]', '', heading.strip().lower())
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors(path: Path) -> List[str]:
    text = FENCE.sub('', path.read_text(encoding='utf-8'))
    return [slug(m) for m in re.findall(r'^#{1,6}[ \t]+(.+?)[ \t]*#*$', text,
                                        re.M)]


def toctree_entries() -> List[str]:
    index = (DOCS / 'index.md').read_text(encoding='utf-8')
    entries = []
    for body in TOCTREE.findall(index):
        entries += [line.strip() for line in body.splitlines()
                    if line.strip() and not line.lstrip().startswith(':')]
    return entries


def test_slug_matches_github_anchors():
    assert slug('Merging instead of dropping (training-free)') == \
        'merging-instead-of-dropping-training-free'
    assert slug('Checkpoints under torch >= 2.6') == \
        'checkpoints-under-torch--26'
    assert slug('The `slow` tier') == 'the-slow-tier'


def test_every_page_is_in_the_toctree():
    entries = toctree_entries()
    assert entries, 'docs/index.md has no toctree'
    pages = {p.stem for p in PAGES if p.name != 'index.md'}
    missing = sorted(pages - set(entries))
    assert not missing, f'docs pages in no toctree of docs/index.md: {missing}'
    dangling = sorted(set(entries) - pages)
    assert not dangling, f'toctree entries without a page: {dangling}'


@pytest.mark.parametrize('page', LINKED, ids=lambda p: p.name)
def test_relative_links_and_images_exist(page):
    broken = []
    for file_part, anchor in relative_links(page):
        target = (page.parent / file_part).resolve() if file_part else page
        if not target.exists():
            broken.append(f'{file_part}: no such file')
        elif anchor and target.suffix == '.md' and \
                anchor not in anchors(target):
            broken.append(f'{file_part}#{anchor}: no such heading in '
                          f'{target.relative_to(PROJECT)}')
    assert not broken, f'{page.relative_to(PROJECT)}: ' + '; '.join(broken)


def test_links_are_found():
    """The link parser sees the README's links (a parser that finds none
    would pass the test above vacuously)."""
    found = dict(relative_links(PROJECT / 'README.md'))
    assert 'docs/selection_coco.jpg' in found
    assert 'docs/accuracy.md' in found
