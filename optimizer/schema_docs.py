"""Render the scenario reference (docs/scenario.md) from the pydantic models, the one source of truth.

    python -m optimizer.schema_docs > docs/scenario.md

A test fails when the committed page and the models disagree.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from optimizer.scenario import Scenario, _unwrap

HEADER = """# Scenario file reference

Generated from `optimizer/scenario.py` by `python -m optimizer.schema_docs`; do not edit by hand.
Every key is optional unless marked required. Unknown keys are rejected with a did-you-mean.
Rules apply only when stated: no default excludes a creator.
"""


def _type(annotation: Any) -> str:
    # a tagged union (a pool: a path or a database) prints as typing.Union[Annotated[...]]: show its members
    if get_origin(annotation) is Annotated:
        return _type(get_args(annotation)[0])
    if get_origin(annotation) is Union and "Annotated" in str(annotation):
        return " | ".join(_type(arg) for arg in get_args(annotation))
    text = str(annotation).replace("typing.", "").replace("optimizer.scenario.", "")
    return text.replace("<class '", "").replace("'>", "").replace("NoneType", "None")


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(see below)"
        return f"`{value}`" if value not in ({}, []) else "none"
    if field.default is None or field.default is PydanticUndefined:
        return "not set"
    return f"`{field.default}`"


def _bounds(field: Any) -> str:
    parts = []
    for meta in field.metadata:
        for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sign} {value}")
        if getattr(meta, "min_length", None):
            parts.append(f"length >= {meta.min_length}")
    return ", ".join(parts)


def _key(name: str, field: Any) -> str:
    """The key, with any older name it is still accepted under."""
    alias = field.validation_alias
    older = [a for a in getattr(alias, "choices", []) if isinstance(a, str) and a != name]
    return f"`{name}`" + "".join(f" (or `{a}`)" for a in older)


def render() -> str:
    """The Markdown reference of every scenario key."""
    out = [HEADER]
    seen: set[type] = set()
    queue: list[tuple[str, type[BaseModel]]] = [("(top level)", Scenario)]
    while queue:
        path, model = queue.pop(0)
        if model in seen:
            continue
        seen.add(model)
        out.append(f"\n## `{path}`: {model.__name__}\n\n{inspect.cleandoc(model.__doc__ or '')}\n")
        out.append("| key | type | default | bounds | meaning |\n|---|---|---|---|---|")
        for name, field in model.model_fields.items():
            desc = (field.description or "").replace("|", "\\|")
            out.append(
                f"| {_key(name, field)} | {_type(field.annotation).replace('|', 'or')} | {_default(field)} | "
                f"{_bounds(field)} | {desc} |"
            )
            inner = _unwrap(field.annotation)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                prefix = "" if path == "(top level)" else f"{path}."
                key = f"{prefix}{name}" + (".<label>" if getattr(field.annotation, "__origin__", None) is dict else "")
                queue.append((key, inner))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
