from pathlib import Path

from serverlite.functions.reload import affected, watched_dirs
from serverlite.template.model import FunctionSpec, LayerSpec


def test_changes_map_to_the_functions_that_use_the_code_or_layer():
    root = Path("/srv/app")
    layer = LayerSpec(logical_id="L", stack_path=(), name="L", arn="arn:l", content_dir=root / "l")
    a = FunctionSpec(
        logical_id="A",
        stack_path=(),
        name="A",
        arn="arn:a",
        handler="app.h",
        runtime="python3.11",
        code_dir=root / "a",
        layers=(layer,),
    )
    b = FunctionSpec(
        logical_id="B",
        stack_path=(),
        name="B",
        arn="arn:b",
        handler="app.h",
        runtime="python3.11",
        code_dir=root / "b",
    )
    dirs = watched_dirs([a, b])
    assert affected(dirs, ["/srv/app/a/app.py"]) == {"A"}
    assert affected(dirs, ["/srv/app/l/python/common/x.py"]) == {"A"}
    assert affected(dirs, ["/srv/app/b/pkg/mod.py"]) == {"B"}
    assert affected(dirs, ["/srv/app/b/__pycache__/mod.cpython-311.pyc"]) == set()
    assert affected(dirs, ["/srv/app/other.py"]) == set()
    assert (
        affected(dirs, ["/srv/app/b/.serverlite/x.txt"], ignore=[root / "b/.serverlite"]) == set()
    )
