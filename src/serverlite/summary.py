"""What `serverlite up` prints once it serves, rendered by rich in a child process.

The summary is data (tables and lines of rich markup) that ``serverlite up`` builds
and hands to ``python -m serverlite.summary`` on its stdin; the child prints it to the
same terminal and exits. rich's modules and the rendering (some 2 MiB and 30 ms) are
the child's, never the server's: the long-running process stays small, and its loop
keeps answering while the summary is drawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# One item of the summary: a table {"title", "columns", "rows"}, or a line {"text",
# "markup", "soft_wrap"} (rich markup, or printed as is).
Item = dict[str, Any]


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Item:
    return {"title": title, "columns": list(columns), "rows": [list(row) for row in rows]}


def line(text: str, *, markup: bool = True, soft_wrap: bool = True) -> Item:
    return {"text": text, "markup": markup, "soft_wrap": soft_wrap}


# Every column folds a long value onto more lines instead of cutting it: at 80 columns
# "Phonebook-GetAllContacts" and "Phonebook-GetContactById" would both end in "Phonebook-Get…".
def rich_table(item: Item) -> Table:
    from rich.table import Table

    made = Table(title=item["title"], title_justify="left", show_edge=False, pad_edge=False)
    for column in item["columns"]:
        made.add_column(column, overflow="fold")
    for row in item["rows"]:
        made.add_row(*row)
    return made


def render(items: Sequence[Item], console: Console) -> None:
    for item in items:
        if "rows" in item:
            console.print(rich_table(item))
        else:
            console.print(item["text"], markup=item["markup"], soft_wrap=item["soft_wrap"])


def terminal() -> Console:
    """stdout's console: a terminal's width, else (logs, CI) wide enough that URLs are
    never cut."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 160))
    return console


async def print_in_child(items: Sequence[Item]) -> None:
    """``items`` printed by a child process on this process's stdout; here, if no child
    can be started."""
    sys.stdout.flush()  # what this process printed comes first
    sys.stderr.flush()
    package_root = str(Path(__file__).resolve().parents[1])  # serverlite importable as here
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "serverlite.summary",
            stdin=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
    except OSError:
        render(items, terminal())
        return
    await child.communicate(json.dumps(list(items)).encode())


def main() -> None:
    items = json.load(sys.stdin)
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):  # Ctrl-C stops `up` too
        render(items, terminal())


if __name__ == "__main__":
    main()
