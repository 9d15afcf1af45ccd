"""Boundaries, in the reference services and in serverlite itself.

Each reference service owns its data: no function's policies reach another service's
table. The root template nests every reference service (seed 002: identity, locations,
profiles each with their own table, talking only over HTTP). A service that needs
another's data calls its API; a policy naming another stack's table, or every table,
fails here. Secrets follow the same rule, with one kind of exception written out
below: client credentials that identity issues to a service and keeps for checking.

serverlite's own import graph (read from the source, every import statement counted,
also those inside functions and under TYPE_CHECKING) has no circle; the lower layers
(template, functions, invoker) never import the upper ones (aws, gateway, and what
wires them); only the registry imports the emulated services' packages; and the
service contract imports nothing else of aws/.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from serverlite.template import Application, FunctionSpec, load_application

ROOT = Path(__file__).resolve().parents[2]
# (reading stack, secret's stack/logical id): a service's own credentials, held by identity
ISSUED_CREDENTIALS = {(("Profiles",), "Identity/ProfilesClient")}
BROAD_DYNAMODB = ("AmazonDynamoDBFullAccess", "AmazonDynamoDBReadOnlyAccess")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _statements(policies: Any) -> Iterator[dict[str, Any]]:
    for policy in policies:
        if isinstance(policy, dict) and isinstance(policy.get("Statement"), list):
            yield from (s for s in policy["Statement"] if isinstance(s, dict))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def boundary_violations(app: Application) -> list[str]:
    """Every place a function's policies reach data that its own stack does not own."""
    owned = [
        (res.stack_path, res)
        for res in app.resources
        if res.type in ("AWS::DynamoDB::Table", "AWS::SecretsManager::Secret")
    ]
    problems = []
    for fn in app.functions:
        problems += _broad_access(fn)
        texts = list(_strings(fn.policies))
        for stack, res in owned:
            if stack == fn.stack_path:
                continue
            name = "/".join((*stack, res.logical_id))
            if (fn.stack_path, name) in ISSUED_CREDENTIALS:
                continue
            if any(_names(text, res.physical_id, res.type) for text in texts):
                problems.append(f"{fn.qualified_id} reaches {name}, which another stack owns")
    return problems


def _names(text: str, physical_id: str, kind: str) -> bool:
    if kind == "AWS::DynamoDB::Table":
        return text == physical_id or f":table/{physical_id}" in text
    return text == physical_id or text.startswith(physical_id.rsplit("-", 1)[0])


def _broad_access(fn: FunctionSpec) -> list[str]:
    problems = []
    for text in _strings(fn.policies):
        if text in BROAD_DYNAMODB or ":table/*" in text or text.endswith(":table/"):
            problems.append(f"{fn.qualified_id} reaches every table ({text})")
    for statement in _statements(fn.policies):
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        if any(a == "*" or a.startswith("dynamodb:") for a in actions) and "*" in _as_list(
            statement.get("Resource")
        ):
            problems.append(f"{fn.qualified_id} reaches every table (Resource '*')")
    return problems


def test_no_function_reaches_another_services_table_or_secret():
    app = load_application(ROOT / "template.yaml")
    stacks = {fn.stack_path[0] for fn in app.functions if fn.stack_path}
    assert {"Identity", "Locations", "Profiles"} <= stacks
    assert boundary_violations(app) == []


def test_each_seed_002_service_has_its_own_table():
    app = load_application(ROOT / "template.yaml")
    tables = {
        res.stack_path: res.logical_id
        for res in app.resources
        if res.type == "AWS::DynamoDB::Table" and res.stack_path
    }
    for service in ("Identity", "Locations", "Profiles"):
        assert (service,) in tables, f"{service} owns no table"
    signing = [r for r in app.resources if r.logical_id == "SigningKeys"]
    assert [r.stack_path for r in signing] == [("Identity",)]


SERVICE_A = """
Transform: AWS::Serverless-2016-10-31
Resources:
  ATable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
Outputs:
  TableName: {Value: !Ref ATable}
  TableArn: {Value: !GetAtt ATable.Arn}
"""

SERVICE_B = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  OtherTable: {Type: String}
  OtherTableArn: {Type: String}
Resources:
  BTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: ../src
      Handler: app.handler
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref BTable}
        %s
"""

ROOT_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  A:
    Type: AWS::Serverless::Application
    Properties: {Location: a/template.yaml}
  B:
    Type: AWS::Serverless::Application
    Properties:
      Location: b/template.yaml
      Parameters:
        OtherTable: !GetAtt A.Outputs.TableName
        OtherTableArn: !GetAtt A.Outputs.TableArn
"""


def _two_services(tmp_path: Path, extra_policy: str) -> Application:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    for name, text in (("a", SERVICE_A), ("b", SERVICE_B % extra_policy)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "template.yaml").write_text(textwrap.dedent(text))
    (tmp_path / "template.yaml").write_text(textwrap.dedent(ROOT_TEMPLATE))
    return load_application(tmp_path / "template.yaml")


def test_own_tables_pass(tmp_path: Path) -> None:
    assert boundary_violations(_two_services(tmp_path, "")) == []


@pytest.mark.parametrize(
    ("policy", "found"),
    [
        ("- DynamoDBReadPolicy: {TableName: !Ref OtherTable}", "B/Fn reaches A/ATable"),
        (
            "- Statement: [{Effect: Allow, Action: dynamodb:Query, Resource: !Ref OtherTableArn}]",
            "B/Fn reaches A/ATable",
        ),
        (
            "- Statement: [{Effect: Allow, Action: 'dynamodb:*', Resource: '*'}]",
            "B/Fn reaches every table",
        ),
        ("- AmazonDynamoDBReadOnlyAccess", "B/Fn reaches every table"),
    ],
)
def test_another_services_table_is_caught(tmp_path: Path, policy: str, found: str) -> None:
    problems = boundary_violations(_two_services(tmp_path, policy))
    assert any(found in p for p in problems), problems


# -- serverlite's import graph ----------------------------------------------------------

SRC = ROOT / "src"
PACKAGE = SRC / "serverlite"
LOWER = ("serverlite.template", "serverlite.functions", "serverlite.invoker")
UPPER = (
    "serverlite.aws",
    "serverlite.gateway",
    "serverlite.cloud",
    "serverlite.server",
    "serverlite.testing",
    "serverlite.harness",
    "serverlite.pytest_plugin",
    "serverlite.cli",
    "serverlite.commands",
)
REGISTRY = "serverlite.aws.registry"
CONTRACT = ("serverlite.aws.backend",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def import_graph() -> dict[str, set[str]]:
    """module -> the serverlite modules it imports (``from X import Y``: X.Y when that
    is a module, X otherwise)."""
    files = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in files else base)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def service_packages() -> list[str]:
    """The emulated services: the packages under serverlite/aws/ whose ``__init__`` has
    ``create(context)`` (others there, such as ``dispatch``, are shared machinery)."""
    found = []
    for init in (PACKAGE / "aws").glob("*/__init__.py"):
        tree = ast.parse(init.read_text(), str(init))
        if any(isinstance(node, ast.FunctionDef) and node.name == "create" for node in tree.body):
            found.append(f"serverlite.aws.{init.parent.name}")
    return sorted(found)


def test_the_import_graph_has_no_circle() -> None:
    assert circles(import_graph()) == []


def test_lower_layers_never_import_upper_ones() -> None:
    arrows = [
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        if any(_within(module, lower) for lower in LOWER)
        for target in sorted(targets)
        if any(_within(target, upper) for upper in UPPER)
    ]
    assert arrows == []


def test_only_the_registry_imports_service_packages() -> None:
    services = service_packages()
    assert {"serverlite.aws.dynamodb", "serverlite.aws.sqs", "serverlite.aws.sns"} <= set(services)
    arrows = [
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        if module != REGISTRY
        for target in sorted(targets)
        for service in services
        if _within(target, service) and not _within(module, service)
    ]
    assert arrows == []
    assert set(services) <= import_graph()[REGISTRY], "a service package is not registered"


def test_the_service_contract_imports_nothing_else_of_aws() -> None:
    graph = import_graph()
    for module in CONTRACT:
        reached = {t for t in graph[module] if _within(t, "serverlite.aws")}
        assert reached <= set(CONTRACT), f"{module} imports {sorted(reached - set(CONTRACT))}"


def test_the_graph_checks_catch_what_they_guard() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
    graph = import_graph()
    assert "serverlite.aws.backend" in graph[REGISTRY]  # absolute imports resolve
    assert "serverlite.aws.dynamodb.service" in graph["serverlite.aws.dynamodb"]  # lazy ones too
    assert "serverlite.aws.dynamodb.storage" in graph["serverlite.aws.dynamodb.service"]  # relative


# docs/architecture.md's stack, bottom first: each layer may import those below it only.
STACK = (
    "serverlite.template",
    "serverlite.iam",
    "serverlite.deps",
    "serverlite.functions",
    "serverlite.observe",
    "serverlite.invoker",
)


def test_the_lower_stack_imports_only_downwards() -> None:
    graph = import_graph()
    arrows = [
        f"{module} -> {target}"
        for level, layer in enumerate(STACK)
        for module, targets in graph.items()
        if _within(module, layer)
        for target in sorted(targets)
        for above in STACK[level + 1 :]
        if _within(target, above)
    ]
    assert arrows == []
