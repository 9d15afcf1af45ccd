"""Dataclasses' generated methods: compiled at one start, taken from the cache at the next."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from serverlite.dataclass_code import CodeCache


def _define(cache: CodeCache, monkeypatch: pytest.MonkeyPatch) -> type:
    """A frozen dataclass defined with ``cache`` as the dataclasses module's exec."""
    with monkeypatch.context() as patch:
        patch.setattr(dataclasses, "exec", cache.exec, raising=False)

        @dataclasses.dataclass(frozen=True)
        class Point:
            x: int
            y: int = 2

    return Point


def test_a_later_start_defines_the_same_classes_without_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "code" / "cache.marshal")
    first = CodeCache(path)
    made = _define(first, monkeypatch)
    assert first.compiled  # nothing cached yet: each method compiled
    first.save()

    second = CodeCache(path)
    point = _define(second, monkeypatch)
    assert second.compiled == {}  # every method's code came from the file
    assert point(1) == point(1, 2) != point(2)
    assert hash(point(1)) == hash(point(1, 2))
    assert repr(point(1)) == repr(made(1)).replace(made.__qualname__, point.__qualname__)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point(1).x = 3  # type: ignore[misc]


def test_an_unreadable_cache_is_an_empty_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache.marshal"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not marshal at all")
    cache = CodeCache(str(path))
    point = _define(cache, monkeypatch)
    assert cache.compiled
    assert point(1) == point(1, 2)


def test_after_save_classes_compile_as_before_and_nothing_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache.marshal"
    cache = CodeCache(str(path))
    cache.save()
    assert not path.exists()  # nothing was compiled: nothing to write
    point = _define(cache, monkeypatch)
    assert cache.compiled == {}  # the cache is let go: exec as dataclasses does
    assert point(3).x == 3


def test_an_index_of_another_shape_is_no_index(tmp_path: Path) -> None:
    import marshal

    head = marshal.dumps({b"k": ("not", "offsets")})
    path = tmp_path / "cache.marshal"
    path.write_bytes(len(head).to_bytes(8, "little") + head)
    assert CodeCache(str(path)).index == {}
