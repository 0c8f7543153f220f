"""Map a pydantic error location back to the keys a person wrote in a YAML file.

Pydantic's locations carry parts that are not in the file (a union member's name, a
dictionary key marker). Both the flow files and the crisis file turn errors into
``file:line`` problems, so both need the same walk from a location to the real path.
"""

from __future__ import annotations

from typing import Any

__all__ = ["real_path", "value_at"]


def real_path(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Keep only the parts of pydantic's location that exist in the written data."""
    real: list[Any] = []
    node = data
    for part in loc:
        if (
            isinstance(node, dict)
            and part in node
            or isinstance(node, list)
            and isinstance(part, int)
            and 0 <= part < len(node)
        ):
            real.append(part)
            node = node[part]
    return tuple(real)


def value_at(data: Any, path: tuple[Any, ...]) -> Any:
    """The value found at ``path`` (a path that :func:`real_path` returned)."""
    node = data
    for part in path:
        node = node[part]
    return node
