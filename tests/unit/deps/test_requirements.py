from pathlib import Path

import pytest

from serverlite.deps.requirements import DependencyError, normalized_lines, read_set


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_comments_blanks_and_spacing_do_not_change_the_set(tmp_path: Path) -> None:
    a = write(tmp_path / "a.txt", "# deps\nsix==1.16.0   # pinned\n\n  PyJWT[crypto]==2.15.1\n")
    b = write(tmp_path / "b.txt", "six==1.16.0\nPyJWT[crypto]==2.15.1\n")
    set_a, set_b = read_set([a], "3.11"), read_set([b], "3.11")
    assert set_a is not None and set_a == set_b and set_a.key == set_b.key  # type: ignore[union-attr]
    assert set_a.lines == ["six==1.16.0", "PyJWT[crypto]==2.15.1"]


def test_a_different_pin_python_or_platform_is_another_set(tmp_path: Path) -> None:
    old = read_set([write(tmp_path / "a.txt", "six==1.16.0\n")], "3.11")
    new = read_set([write(tmp_path / "b.txt", "six==1.17.0\n")], "3.11")
    other_python = read_set([tmp_path / "a.txt"], "3.12")
    assert old is not None and new is not None and other_python is not None
    assert len({old.key, new.key, other_python.key}) == 3
    from dataclasses import replace

    assert replace(old, platform="linux-aarch64").key != old.key


def test_includes_are_inlined_and_loops_refused(tmp_path: Path) -> None:
    write(tmp_path / "base.txt", "six==1.17.0\n")
    main = write(tmp_path / "requirements.txt", "-r base.txt\nattrs==25.1.0\n")
    assert normalized_lines(main) == ["six==1.17.0", "attrs==25.1.0"]
    loop = write(tmp_path / "loop.txt", "-r loop.txt\n")
    with pytest.raises(DependencyError, match="includes itself"):
        normalized_lines(loop)


def test_a_file_that_declares_nothing_is_no_set(tmp_path: Path) -> None:
    assert (
        read_set([write(tmp_path / "r.txt", "# only boto3, which the runtime has\n")], "3.11")
        is None
    )


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DependencyError, match="missing.txt"):
        normalized_lines(tmp_path / "missing.txt")
