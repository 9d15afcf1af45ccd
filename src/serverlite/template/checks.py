"""serverlite's own checks of loaded functions: Lambda's limits and shapes.

Every problem is reported (nothing starts on a bad template), each as a
:class:`CheckError` naming the file and the template path where the value is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from serverlite.errors import TemplateError

from .model import FunctionSpec
from .yaml_loader import display_path

# Rule id -> (title, why it matters). Ids are serverlite's own ("SL"), beside cfn-lint's.
RULES: dict[str, tuple[str, str]] = {
    "SL0001": (
        "Template error",
        "serverlite cannot load this part of the template, so the application would not start.",
    ),
    "SL0002": ("Warning", "serverlite runs this, but not the way AWS would; see the message."),
    "SL0003": (
        "Not emulated",
        "serverlite starts the application without it; what depends on it is named.",
    ),
    "SL1001": ("MemorySize out of range", "Lambda accepts 128 to 10240 MB of memory."),
    "SL1002": ("Timeout out of range", "Lambda accepts a timeout of 1 to 900 seconds."),
    "SL1003": (
        "Environment too large",
        "Lambda limits a function's environment variables to 4 KB (names and values together).",
    ),
    "SL1004": (
        "Invalid environment variable name",
        "Lambda requires names that start with a letter, have at least two characters "
        "and use only letters, digits and underscores.",
    ),
    "SL1005": (
        "Reserved environment variable",
        "Lambda sets this variable itself and rejects a function that defines it.",
    ),
    "SL1006": ("Too many layers", "A Lambda function can use at most 5 layers."),
    "SL1007": (
        "Deployment package too large",
        "Lambda limits a function's code and layers to 250 MB unzipped.",
    ),
    "SL1008": (
        "Negative reserved concurrency",
        "ReservedConcurrentExecutions is 0 (the function is switched off) or more.",
    ),
    "SL1009": (
        "MaximumRetryAttempts out of range",
        "Asynchronous invocations are retried 0, 1 or 2 times.",
    ),
    "SL1010": (
        "MaximumEventAgeInSeconds out of range",
        "Lambda keeps an asynchronous event for 60 to 21600 seconds (6 hours).",
    ),
    "SL1011": (
        "Invalid handler",
        "The Python runtime imports the module and calls the function named in "
        "Handler: module.function, e.g. app.lambda_handler.",
    ),
    "SL1012": ("Code directory not found", "CodeUri must be a directory next to the template."),
    "SL1013": ("Invalid architecture", "A Lambda function runs on exactly one of x86_64, arm64."),
    "SL1014": (
        "EphemeralStorage out of range",
        "Lambda gives a function 512 to 10240 MB of /tmp.",
    ),
    "SL1015": (
        "Invalid function name",
        "Lambda function names are 1-64 letters, digits, hyphens or underscores.",
    ),
    "SL1016": ("Duplicate function name", "Function names are unique in an account and region."),
}

MAX_ENVIRONMENT_BYTES = 4096
MAX_LAYERS = 5
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
_SKIPPED_DIRS = {"__pycache__", ".git"}  # not packaged

# Keys Lambda's runtimes set and that a function's configuration may not define.
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "TZ",
    }
)

_Fail = Callable[[str, str, str], None]  # (rule, setting, message)

_VARIABLE_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")  # Lambda's pattern: 2+ characters
_HANDLER = re.compile(r"\S+\.[A-Za-z_][A-Za-z0-9_]*")
_FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class CheckError(TemplateError):
    """A template error found by one of serverlite's checks (``rule`` in :data:`RULES`)."""

    def __init__(self, rule: str, file: str, path: str, message: str) -> None:
        super().__init__(file, path, message)
        self.rule = rule


def directory_size(path: Path, limit: int | None = None) -> int:
    """Bytes of the files under ``path`` as packaged (no __pycache__/.git); stops past ``limit``."""
    total = 0
    pending = [path]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in _SKIPPED_DIRS:
                        pending.append(Path(entry.path))
                elif entry.is_file():
                    total += entry.stat().st_size
            except OSError:
                continue
        if limit is not None and total > limit:
            break
    return total


class _Sizes:
    """Directory sizes, computed once per load (layers are shared)."""

    def __init__(self) -> None:
        self._sizes: dict[Path, int] = {}

    def of(self, path: Path) -> int:
        if path not in self._sizes:
            self._sizes[path] = directory_size(path, MAX_UNZIPPED_BYTES)
        return self._sizes[path]


def check_function(fn: FunctionSpec, sizes: _Sizes | None = None) -> list[CheckError]:
    """Every problem serverlite finds with one function."""
    sizes = sizes or _Sizes()
    file = display_path(fn.template_file) if fn.template_file else fn.qualified_id
    errors: list[CheckError] = []

    def where(key: str) -> str:
        prop = (
            {"CodeUri": "Code"}.get(key, key)
            if fn.resource_type != "AWS::Serverless::Function"
            else key
        )
        if key in fn.origins:
            return fn.origins[key]
        head, _, rest = key.partition(".")
        if rest and head in fn.origins:  # "EventInvokeConfig.MaximumRetryAttempts"
            return f"{fn.origins[head]}.{rest}"
        return f"Resources.{fn.logical_id}.Properties.{prop}"

    def fail(rule: str, key: str, message: str) -> None:
        errors.append(CheckError(rule, file, where(key), message))

    if not 128 <= fn.memory_mb <= 10240:
        fail("SL1001", "MemorySize", f"must be 128-10240, got {fn.memory_mb}")
    if not 1 <= fn.timeout_s <= 900:
        fail("SL1002", "Timeout", f"must be 1-900, got {fn.timeout_s}")
    if not 512 <= fn.ephemeral_storage_mb <= 10240:
        fail("SL1014", "EphemeralStorage", f"must be 512-10240, got {fn.ephemeral_storage_mb}")
    if fn.reserved_concurrency is not None and fn.reserved_concurrency < 0:
        fail(
            "SL1008",
            "ReservedConcurrentExecutions",
            f"must be 0 or more, got {fn.reserved_concurrency}",
        )
    _check_environment(fn, fail)
    if fn.architectures not in (("x86_64",), ("arm64",)):
        shown = ", ".join(fn.architectures)
        fail("SL1013", "Architectures", f"must be [x86_64] or [arm64], got [{shown}]")
    if not fn.handler:
        fail("SL1011", "Handler", "is required: module.function, e.g. app.lambda_handler")
    elif not _HANDLER.fullmatch(fn.handler):
        fail(
            "SL1011",
            "Handler",
            f"must be module.function (e.g. app.lambda_handler), got {fn.handler!r}",
        )
    layer_count = len(fn.layers) + len(fn.external_layer_arns)
    if layer_count > MAX_LAYERS:
        fail(
            "SL1006", "Layers", f"a function can use at most {MAX_LAYERS} layers, got {layer_count}"
        )
    _check_code(fn, sizes, fail)
    config = fn.event_invoke_config
    if config is not None:
        if not 0 <= config.maximum_retry_attempts <= 2:
            got = config.maximum_retry_attempts
            fail("SL1009", "EventInvokeConfig.MaximumRetryAttempts", f"must be 0-2, got {got}")
        if not 60 <= config.maximum_event_age_seconds <= 21600:
            got = config.maximum_event_age_seconds
            fail(
                "SL1010",
                "EventInvokeConfig.MaximumEventAgeInSeconds",
                f"must be 60-21600, got {got}",
            )
    derived = "-".join((*fn.stack_path, fn.logical_id))
    if fn.name != derived and not _FUNCTION_NAME.fullmatch(fn.name):
        fail("SL1015", "FunctionName", f"{fn.name!r} must be 1-64 letters, digits, - or _")
    return errors


def _check_environment(fn: FunctionSpec, fail: _Fail) -> None:
    size = 0
    for key, value in fn.environment.items():
        size += len(key.encode()) + len(value.encode())
        name = f"Environment.Variables.{key}"
        if key in RESERVED_VARIABLES:
            fail("SL1005", name, f"{key} is reserved by Lambda and cannot be set")
        elif not _VARIABLE_NAME.fullmatch(key):
            fail(
                "SL1004",
                name,
                f"{key!r} is not a valid name: start with a letter, use 2 or more "
                "letters, digits or _",
            )
    if size > MAX_ENVIRONMENT_BYTES:
        fail(
            "SL1003",
            "Environment",
            f"environment variables take {size} bytes; "
            f"Lambda allows {MAX_ENVIRONMENT_BYTES} (4 KB)",
        )


def _check_code(fn: FunctionSpec, sizes: _Sizes, fail: _Fail) -> None:
    if fn.inline_code is not None:
        total = len(fn.inline_code.encode())
    elif not fn.code_dir.is_dir():
        fail("SL1012", "CodeUri", f"code directory not found: {display_path(fn.code_dir)}")
        return
    else:
        total = sizes.of(fn.code_dir)
    total += sum(sizes.of(layer.content_dir) for layer in fn.layers)
    if total > MAX_UNZIPPED_BYTES:
        fail(
            "SL1007",
            "CodeUri",
            f"code and layers are more than {total / 2**20:.0f} MB unzipped; Lambda allows 250 MB",
        )


def check_functions(functions: Iterable[FunctionSpec]) -> list[CheckError]:
    """Every problem with every function, and duplicate physical names."""
    sizes = _Sizes()
    errors: list[CheckError] = []
    seen: dict[str, FunctionSpec] = {}
    for fn in functions:
        errors.extend(check_function(fn, sizes))
        other = seen.setdefault(fn.name, fn)
        if other is not fn:
            file = display_path(fn.template_file) if fn.template_file else fn.qualified_id
            errors.append(
                CheckError(
                    "SL1016",
                    file,
                    fn.origins.get("FunctionName", f"Resources.{fn.logical_id}"),
                    f"function name {fn.name!r} is already used by {other.qualified_id}",
                )
            )
    return errors
