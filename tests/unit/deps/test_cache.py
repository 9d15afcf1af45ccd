import threading
import time
from pathlib import Path

import pytest

from serverlite.deps.cache import MARKER, DepCache, Need, default_root
from serverlite.deps.requirements import DependencyError, RequirementSet


class FakeInstaller:
    """Writes one module per requirement line; counts installs; may fail or be slow."""

    def __init__(self, fail: str | None = None, delay_s: float = 0.0) -> None:
        self.calls: list[str] = []
        self.fail = fail
        self.delay_s = delay_s
        self.lock = threading.Lock()

    def __call__(self, rset: RequirementSet, target: Path, interpreter: str) -> str:
        with self.lock:
            self.calls.append(rset.text)
        target.mkdir(parents=True)
        time.sleep(self.delay_s)
        if self.fail and self.fail in rset.text:
            raise DependencyError("uv failed:\n  No solution found when resolving: bad==0")
        for line in rset.lines:
            (target / f"{line.split('==')[0]}.py").write_text(f"VERSION = {line!r}\n")
        return "fake"


def rset(text: str) -> RequirementSet:
    return RequirementSet(text=text, python="3.11", platform="linux-x86_64")


def test_default_root_follows_the_env_then_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVERLITE_DEPS_CACHE", "/somewhere/deps")
    assert default_root() == Path("/somewhere/deps")
    monkeypatch.delenv("SERVERLITE_DEPS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert default_root() == Path("/xdg/serverlite/deps")


def test_a_set_is_installed_once_and_reused(tmp_path: Path) -> None:
    fake = FakeInstaller()
    cache = DepCache(tmp_path, fake)
    path, fresh = cache.ensure(rset("six==1.16.0"), "python3")
    again, fresh_again = DepCache(tmp_path, fake).ensure(rset("six==1.16.0"), "python3")
    assert (fresh, fresh_again) == (True, False) and path == again
    assert fake.calls == ["six==1.16.0"]
    assert (path / "six.py").read_text() == "VERSION = 'six==1.16.0'\n"
    assert (path / MARKER).is_file()


def test_two_pins_are_two_directories(tmp_path: Path) -> None:
    cache = DepCache(tmp_path, FakeInstaller())
    old, _ = cache.ensure(rset("six==1.16.0"), "python3")
    new, _ = cache.ensure(rset("six==1.17.0"), "python3")
    assert old != new
    assert "1.16.0" in (old / "six.py").read_text() and "1.17.0" in (new / "six.py").read_text()


def test_a_failed_install_leaves_nothing_behind(tmp_path: Path) -> None:
    cache = DepCache(tmp_path, FakeInstaller(fail="bad"))
    with pytest.raises(DependencyError):
        cache.ensure(rset("bad==0"), "python3")
    assert not cache.installed(rset("bad==0"))
    assert not cache.path(rset("bad==0")).exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_an_incomplete_directory_is_replaced(tmp_path: Path) -> None:
    cache = DepCache(tmp_path, FakeInstaller())
    half = cache.path(rset("six==1.17.0"))
    half.mkdir(parents=True)
    (half / "junk.py").write_text("")  # no marker: a set that never finished
    path, fresh = cache.ensure(rset("six==1.17.0"), "python3")
    assert fresh and not (path / "junk.py").exists() and (path / "six.py").exists()


def test_concurrent_installers_of_one_set_install_it_once(tmp_path: Path) -> None:
    """Two caches (as two processes would: each its own lock descriptor) at once."""
    fake = FakeInstaller(delay_s=0.3)
    results: list[bool] = []

    def ensure() -> None:
        _, fresh = DepCache(tmp_path, fake).ensure(rset("six==1.17.0"), "python3")
        results.append(fresh)

    threads = [threading.Thread(target=ensure) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(results) == [False, True] and len(fake.calls) == 1


def test_ensure_all_installs_in_parallel_and_reports_progress(tmp_path: Path) -> None:
    fake = FakeInstaller(delay_s=0.3)
    cache = DepCache(tmp_path, fake)
    said: list[str] = []
    started = time.perf_counter()
    paths = cache.ensure_all(
        [
            Need(rset(f"pkg{n}==1.0"), "python3", [f"Fn{n} (src/requirements.txt)"])
            for n in range(3)
        ],
        said.append,
    )
    assert time.perf_counter() - started < 0.8  # three 0.3 s installs at once, not 0.9 s
    assert len(paths) == 3 and len(fake.calls) == 3
    assert said[0].startswith("installing 3 dependency set(s)")
    assert any("Fn1 (src/requirements.txt)" in line for line in said[1:])
    said.clear()
    cache.ensure_all([Need(rset("pkg0==1.0"), "python3", ["Fn0"])], said.append)
    assert said == [] and len(fake.calls) == 3  # warm: nothing to say, nothing installed


def test_ensure_all_names_the_function_and_file_of_a_failure(tmp_path: Path) -> None:
    cache = DepCache(tmp_path, FakeInstaller(fail="bad"))
    needs = [
        Need(rset("good==1.0"), "python3", ["Good (a/requirements.txt)"]),
        Need(rset("bad==0"), "python3", ["Broken (b/requirements.txt)"]),
    ]
    with pytest.raises(DependencyError) as caught:
        cache.ensure_all(needs, lambda _: None)
    message = str(caught.value)
    assert "Broken (b/requirements.txt)" in message and "No solution found" in message
    assert "Good" not in message
    assert cache.installed(rset("good==1.0"))
