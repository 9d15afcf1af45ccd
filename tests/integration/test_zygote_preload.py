"""A zygote starts light and preloads the SDK only when asked (after its first
environment): a template whose functions are never invoked keeps about 5 MiB per
zygote, not 55."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from serverlite.deps import runtime_base
from serverlite.deps.cache import DepCache
from serverlite.functions.zygote import Zygote

pytestmark = pytest.mark.integration


def _mapped(pid: int, fragment: str) -> bool:
    """Whether the process maps a file whose path holds ``fragment`` (an extension module)."""
    return fragment in Path(f"/proc/{pid}/maps").read_text()


@pytest.fixture
def zygote() -> Iterator[Zygote]:
    root = DepCache().root
    z = Zygote(
        sys.executable, (str(runtime_base.runtime_base(root)),), str(runtime_base.shim(root))
    )
    yield z
    z.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_sdk_is_preloaded_when_asked_not_at_start(zygote) -> None:
    zygote.ensure_started()
    assert zygote._proc is not None
    pid = zygote._proc.pid
    # botocore's HTTP stack (urllib3) loads the ssl extension: not yet. Nor json or
    # socket.py (whose selectors load select), which a light zygote does without (its
    # first fork's runtime imports them).
    assert not zygote.ready
    assert [name for name in ("_ssl", "_json", "/select.") if _mapped(pid, name)] == []
    zygote.preload()
    assert zygote.ready and _mapped(pid, "_ssl")
    assert zygote.missing == []  # boto3 and botocore imported; the world has no more
    assert zygote._proc.pid == pid  # the same process, not a restart


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL")
def test_a_zygote_closed_while_it_preloads_is_killed_not_waited_for(zygote) -> None:
    """What it preloads would serve no later fork (``serverlite invoke`` exits after one
    environment); the preload gives up quietly."""
    zygote.ensure_started()
    proc = zygote._proc
    assert proc is not None
    errors: list[BaseException] = []

    def preload() -> None:
        try:
            zygote.preload()
        except BaseException as exc:  # what the test reports
            errors.append(exc)

    preloading = threading.Thread(target=preload)
    preloading.start()
    while not zygote._lock.locked() and preloading.is_alive():
        time.sleep(0.001)
    zygote.close()
    preloading.join()
    assert (proc.returncode, errors, zygote.running) == (-signal.SIGKILL, [], False)
