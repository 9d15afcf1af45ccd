"""The runtime shim (the serverlite modules an environment runs, copied alone) must hold
every serverlite module they import: a missing one stops every zygote at start."""

import ast
from pathlib import Path

from serverlite.deps.runtime_base import SHIM_MODULES

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "serverlite"


def _module_file(dotted: str) -> str:
    parts = dotted.split(".")[1:]
    if (PACKAGE.joinpath(*parts) / "__init__.py").is_file():
        return "/".join([*parts, "__init__.py"])
    return "/".join(parts) + ".py"


def test_the_shim_holds_everything_its_modules_import() -> None:
    imported: set[str] = set()
    for name in SHIM_MODULES:
        tree = ast.parse((PACKAGE / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("serverlite"):
                    imported.add(_module_file(node.module))
                    for alias in node.names:  # from serverlite.functions import protocol
                        candidate = f"{node.module}.{alias.name}"
                        if (PACKAGE / (_module_file(candidate))).is_file():
                            imported.add(_module_file(candidate))
            elif isinstance(node, ast.Import):
                imported |= {
                    _module_file(a.name) for a in node.names if a.name.startswith("serverlite.")
                }
    missing = {name for name in imported if name not in SHIM_MODULES and name != "__init__.py"}
    assert missing == set()
    assert "functions/runtime.py" in SHIM_MODULES
    assert "functions/zygote_process.py" in SHIM_MODULES


def _run_time_nodes(tree: ast.AST) -> list[ast.AST]:
    """The tree's nodes but those under ``if TYPE_CHECKING:`` (never run)."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))
    return found


def test_the_shim_imports_neither_asyncio_nor_dataclasses() -> None:
    """A world's first environment is forked before its zygote preloaded anything: it
    imports the runtime itself, on its first request's path (asyncio alone took half of
    that import; typing, decimal and serverlite.errors some 4 ms together, socket.py's
    and signal.py's enums a fifth of what was left), and a light
    zygote stays light."""
    heavy = {"asyncio", "dataclasses", "typing", "decimal", "socket", "signal"}
    found = set()
    for name in SHIM_MODULES:
        for node in _run_time_nodes(ast.parse((PACKAGE / name).read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.partition(".")[0])
            elif isinstance(node, ast.Import):
                found |= {alias.name.partition(".")[0] for alias in node.names}
    assert found & heavy == set()


def test_the_built_shim_is_byte_compiled_for_this_python(tmp_path: Path) -> None:
    """A zygote that may not write bytecode (PYTHONDONTWRITEBYTECODE, a read-only cache)
    reads the shim's from the start instead of compiling every module from source: each
    module has a .pyc for this Python stamped with its copy's mtime and size, as an
    import checks them."""
    import importlib.util

    from serverlite.deps.runtime_base import shim

    built = shim(tmp_path)
    for name in SHIM_MODULES:
        source = built / "serverlite" / name
        data = Path(importlib.util.cache_from_source(str(source))).read_bytes()
        stat = source.stat()
        assert data[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(data[4:8], "little") == 0  # validated by timestamp
        assert int.from_bytes(data[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        assert int.from_bytes(data[12:16], "little") == stat.st_size & 0xFFFFFFFF
