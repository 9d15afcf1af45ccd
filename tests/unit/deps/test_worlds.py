from pathlib import Path

import pytest

from serverlite.deps import interpreters
from serverlite.deps.worlds import needs, plan, resolve
from serverlite.template.model import FunctionSpec, LayerSpec


def function(code: Path, **kw: object) -> FunctionSpec:
    return FunctionSpec(
        logical_id="Fn",
        stack_path=(),
        name="Fn",
        arn="arn:aws:lambda:us-east-1:123456789012:function:Fn",
        handler="app.handler",
        runtime=interpreters.host().runtime,
        code_dir=code,
        **kw,  # type: ignore[arg-type]
    )


def layer(content: Path, name: str, build_method: str | None = None) -> LayerSpec:
    return LayerSpec(
        logical_id=name,
        stack_path=(),
        name=name,
        arn=f"arn:aws:lambda:us-east-1:123456789012:layer:{name}:1",
        content_dir=content,
        build_method=build_method,
    )


def test_the_world_is_code_deps_layers_last_first_then_the_runtime_base(tmp_path: Path) -> None:
    code = tmp_path / "src"
    code.mkdir()
    (code / "requirements.txt").write_text("six==1.17.0\n")
    plain = tmp_path / "plain"
    (plain / "python").mkdir(parents=True)
    built = tmp_path / "built"
    built.mkdir()
    (built / "requirements.txt").write_text("attrs==25.1.0\n")
    (plain / "requirements.txt").write_text("ignored==1\n")  # no BuildMethod: sam copies only
    arn = (
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:6"
    )
    fn = function(
        code,
        layers=(layer(plain, "Plain"), layer(built, "Built", "python3.12")),
        external_layer_arns=(arn,),
    )
    p = plan(fn, code)
    sets = [part.rset.lines for part in p.parts if part.rset is not None]
    assert sets == [["six==1.17.0"], ["attrs==25.1.0"], ["aws-lambda-powertools[all]==3.4.1"]]
    assert p.requirements_file == code / "requirements.txt"
    assert any("Powertools 3.4.1" in note for note in p.notes)
    dirs = {need.rset.key: tmp_path / "cache" / need.rset.key for need in needs([p])}
    world = resolve(p, dirs, tmp_path / "base")
    by_set = {need.rset.lines[0]: str(dirs[need.rset.key]) for need in needs([p])}
    assert world.sys_path == (
        by_set["six==1.17.0"],
        str(built),  # a BuildMethod layer's ContentUri is its python/
        by_set["attrs==25.1.0"],
        str(plain / "python"),
        by_set["aws-lambda-powertools[all]==3.4.1"],
        str(tmp_path / "base"),
    )
    # The zygote sees only installed sets and the base: layers change under hot reload.
    assert world.zygote_path == (
        by_set["six==1.17.0"],
        by_set["attrs==25.1.0"],
        by_set["aws-lambda-powertools[all]==3.4.1"],
        str(tmp_path / "base"),
    )


def test_functions_with_equal_requirements_share_one_set(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "requirements.txt").write_text(f"# {name}\nsix==1.17.0\n")
    plans = [plan(function(tmp_path / n), tmp_path / n) for n in ("a", "b")]
    [need] = needs(plans)
    assert len(need.users) == 2


def test_inline_code_has_no_requirements(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n")
    assert plan(function(tmp_path, inline_code="x = 1"), tmp_path).parts == ()


def test_pyenv_interpreters_are_found_newest_patch_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("3.99.1", "3.99.12", "3.99.2"):
        exe = tmp_path / "versions" / version / "bin" / "python3.99"
        exe.parent.mkdir(parents=True)
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", "/nonexistent")
    interpreters.find.cache_clear()
    try:
        found = interpreters.find("python3.99")
        assert found is not None and found.version == "3.99"
        assert found.path == str(tmp_path / "versions" / "3.99.12" / "bin" / "python3.99")
        assert interpreters.find("python3.98") is None
        assert interpreters.find("python3.10") is None  # older than the shim supports
    finally:
        interpreters.find.cache_clear()
