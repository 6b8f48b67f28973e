"""Load YAML and validate it with pydantic, reporting errors as ``file:line: field``."""
from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from privenance.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: PyYAML's own date parsing crashes on
    impossible dates (2024-02-31); pydantic reports them with the field instead."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line_map(node, path=(), lines=None) -> dict[tuple, int]:
    """Map every key path in a YAML node tree to its 1-based line number."""
    lines = {} if lines is None else lines
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = path + (key_node.value,)
            lines[child] = key_node.start_mark.line + 1
            _line_map(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, path + (i,), lines)
    return lines


# Bounds on a configuration file, so a hostile one (a "billion laughs" of nested
# aliases, a huge or deeply nested file) is refused in bounded time and memory instead
# of expanding: policies and manifests are hand-written and far below these.
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_YAML_NODES = 200_000  # nodes once every alias is expanded


def _expanded_size(root, limit: int) -> int:
    """How many nodes the document has with every alias expanded, counting each shared
    node once per place it is used; stops counting past ``limit``. Memoized by node,
    so a document of nested aliases is measured in time linear in its text."""
    sizes: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if not children_done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        sizes[id(node)] = min(limit + 1, 1 + sum(sizes[id(c)] for c in children))
    return sizes[id(root)]


def read_yaml(path: str | Path) -> tuple[Any, dict[tuple, int]]:
    """Return (data, line map). Unreadable, unparsable or too large files raise
    ConfigError."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_YAML_BYTES + 1)
        if len(raw) > MAX_YAML_BYTES:
            raise ConfigError(f"file is larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB; "
                              "a configuration file is refused beyond that", file=str(path))
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read file ({type(exc).__name__})", file=str(path)) from None
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _expanded_size(node, MAX_YAML_NODES) > MAX_YAML_NODES:
                raise ConfigError(f"the document expands to more than {MAX_YAML_NODES:,} "
                                  "values (anchors and aliases nested too deep?); refused",
                                  file=str(path))
            data = loader.construct_document(node) if node is not None else None
            lines = _line_map(node) if node is not None else {}
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", file=str(path),
                          line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", file=str(path)) from None
    return data, lines


def validation_error(exc: ValidationError, file: str, lines: dict[tuple, int],
                     prefix: tuple = ()) -> ConfigError:
    """Turn the first pydantic error into a ConfigError naming file, line and field."""
    err = exc.errors()[0]
    loc = prefix + tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    line = None
    for n in range(len(loc), -1, -1):  # nearest enclosing key with a known line
        if loc[:n] in lines:
            line = lines[loc[:n]]
            break
    field = ".".join(str(p) for p in loc) or None
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown field (check the spelling)"
    return ConfigError(msg, file=file, line=line, field=field)


def load_model(model: type[M], path: str | Path, data: Any = None,
               lines: dict[tuple, int] | None = None) -> M:
    """Validate a YAML file (or already-read data) into ``model``."""
    if data is None:
        data, lines = read_yaml(path)
    if data is None:
        raise ConfigError("file is empty", file=str(path))
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", file=str(path), line=1)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, str(path), lines or {}) from None
