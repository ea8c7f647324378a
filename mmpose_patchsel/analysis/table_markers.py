"""Generated blocks in Markdown files: find them and fill them.

A generated table sits between two marker lines::

    <!-- table: NAME -->
    ...generated text...
    <!-- /table: NAME -->

``NAME`` names what renders the block (``tools/update_tables.py`` maps it to
a results JSON under ``docs/results/`` and a renderer). Only the text
between the markers is ever rewritten.
"""
import re
from dataclasses import dataclass
from typing import Callable, List

_MARKER = re.compile(r'^<!-- (?P<end>/?)table: (?P<name>[^ ]+) -->[ \t]*$',
                     re.MULTILINE)


class MarkerError(ValueError):
    """A marker without its partner, or blocks nested in each other."""


@dataclass
class Block:
    """A marked block: its name, the line of its opening marker (1-based)
    and its body, the lines between the markers (each ending in a
    newline)."""
    name: str
    line: int
    body: str
    start: int  # offset of the body in the file's text
    end: int  # offset just past the body


def find_blocks(text: str, source: str = '<text>') -> List[Block]:
    """Every marked block of ``text`` in order; ``source`` (a file name)
    goes into the error of a marker without its partner."""
    blocks, opened = [], None
    for match in _MARKER.finditer(text):
        line = text.count('\n', 0, match.start()) + 1
        name = match['name']
        if not match['end']:
            if opened is not None:
                raise MarkerError(
                    f'{source}:{line}: "<!-- table: {name} -->" opens '
                    f'before "<!-- /table: {opened[0]} -->" (line '
                    f'{opened[1]}) closes')
            opened = (name, line, match.end())
            continue
        if opened is None or opened[0] != name:
            raise MarkerError(
                f'{source}:{line}: "<!-- /table: {name} -->" closes no '
                f'open "<!-- table: {name} -->"')
        start = opened[2] + 1  # past the opening marker's newline
        end = match.start()  # the closing marker starts a line
        blocks.append(Block(name, opened[1], text[start:end], start, end))
        opened = None
    if opened is not None:
        raise MarkerError(f'{source}:{opened[1]}: "<!-- table: {opened[0]} '
                         f'-->" has no "<!-- /table: {opened[0]} -->"')
    return blocks


def as_body(rendered: str) -> str:
    """The body a block holds for a rendered text: its lines, each ending
    in a newline, no blank line at either end."""
    return rendered.strip('\n') + '\n'


def fill_blocks(text: str, render: Callable[[Block], str],
                source: str = '<text>') -> str:
    """``text`` with the body of every marked block replaced by
    ``as_body(render(block))``."""
    out, last = [], 0
    for block in find_blocks(text, source):
        out += [text[last:block.start], as_body(render(block))]
        last = block.end
    out.append(text[last:])
    return ''.join(out)
