"""Client events checked against the official `openai` SDK's GA Realtime types, as strictly as the service.

The SDK's `openai.types.realtime` TypedDicts are generated from OpenAI's API specification, so they
are the maintained list of what each client event may carry. The service refuses what they do not
allow: an unknown field (`unknown_parameter`), a value outside an enum (`invalid_value`), a value
of the wrong type (`invalid_type`), a missing required field (`missing_required_parameter`), each
naming the offending `param` (`session.audio.input.turn_detection.type`, `session.tools[0].name`).

Two adaptations make pydantic check them the way the service does: every model forbids extra keys
and is strict (no coercion of "0.5" to 0.5), and `Iterable[...]` fields (validated lazily by
pydantic) become lists, so a message's content parts and a session's tools are checked up front.
"""

from __future__ import annotations

import collections.abc
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin, get_type_hints

from openai.types.realtime.realtime_client_event_param import RealtimeClientEventParam
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic_core import ErrorDetails
from typing_extensions import TypedDict, is_typeddict

_STRICT = ConfigDict(extra="forbid", strict=True)
# Keys whose literal picks the branch of a union (a message's role, a tool's or VAD's type).
_DISCRIMINATORS = frozenset({"type", "role"})


class SchemaError(ValueError):
    """What the service would say about a client event: code, message and param."""

    def __init__(self, code: str, message: str, param: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


_eager_cache: dict[Any, Any] = {}


def _eager(annotation: Any) -> Any:
    """The same type with every `Iterable[X]` as `list[X]`, TypedDicts rebuilt (recursion-safe)."""
    if is_typeddict(annotation):
        if annotation in _eager_cache:
            return _eager_cache[annotation]
        rebuilt: Any = TypedDict(annotation.__name__, {}, total=False)  # type: ignore[misc]  # a TypedDict built at runtime
        _eager_cache[annotation] = rebuilt
        fields: dict[str, Any] = {}
        for key, hint in get_type_hints(annotation, include_extras=True).items():
            # The SDK's TypedDicts are `total=False` with `Required[...]` on the required keys.
            required = get_origin(hint) is Required or (key in annotation.__required_keys__ and annotation.__total__)
            inner = get_args(hint)[0] if get_origin(hint) in (Required, NotRequired) else hint
            wrap = Required if required else NotRequired
            fields[key] = wrap[_eager(inner)]
        built: Any = TypedDict(annotation.__name__, fields, total=False)  # type: ignore[misc]  # a TypedDict built at runtime
        rebuilt.__annotations__ = built.__annotations__
        rebuilt.__required_keys__ = built.__required_keys__
        rebuilt.__optional_keys__ = built.__optional_keys__
        return rebuilt
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is None or origin is Literal or not args:
        return annotation
    if origin in (collections.abc.Iterable, list):
        return list[_eager(args[0])]  # type: ignore[misc]
    if origin is Union:
        return Union[tuple(_eager(a) for a in args)]  # noqa: UP007 - built at run time
    if origin in (dict, collections.abc.Mapping):
        return annotation
    try:
        return origin[tuple(_eager(a) for a in args)]
    except TypeError:
        return annotation


def _event_type(event_class: Any) -> str:
    hint = get_type_hints(event_class, include_extras=True)["type"]
    literal = get_args(hint)[0] if get_origin(hint) is Required else hint
    return str(get_args(literal)[0])


def _build_models() -> dict[str, type[BaseModel]]:
    models: dict[str, type[BaseModel]] = {}
    for event_class in get_args(RealtimeClientEventParam):
        model = create_model(event_class.__name__, __config__=_STRICT, value=(_eager(event_class), ...))
        models[_event_type(event_class)] = model
    return models


EVENT_MODELS: dict[str, type[BaseModel]] = _build_models()


def _param(error: ErrorDetails, event: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """The dotted param the service would name, and the loc's branch path (union tags kept)."""
    node: Any = event
    parts: list[str] = []
    loc = tuple(error["loc"][1:])  # drop the wrapper model's `value`
    for index, segment in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, dict) and isinstance(segment, str) and (segment in node or last):
            parts.append(("." if parts else "") + segment)
            node = node.get(segment)
        elif isinstance(node, list) and isinstance(segment, int):
            parts.append(f"[{segment}]")
            node = node[segment] if segment < len(node) else None
        # anything else is pydantic's name for a union branch: not part of the param
    return "".join(parts), loc


def _is_discriminator(error: ErrorDetails) -> bool:
    loc = error["loc"]
    return error["type"] == "literal_error" and bool(loc) and loc[-1] in _DISCRIMINATORS


def _relevant(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop errors from union branches whose discriminator already did not match."""
    dead = [tuple(e["loc"][:-1]) for e in errors if _is_discriminator(e)]

    def in_dead_branch(error: ErrorDetails) -> bool:
        loc = tuple(error["loc"])
        own = _is_discriminator(error)
        return any(loc[: len(p)] == p and not (own and len(loc) == len(p) + 1) for p in dead)

    return [e for e in errors if not in_dead_branch(e)]


def _describe(error: ErrorDetails, param: str, value: Any, expected: list[str]) -> SchemaError:
    kind = error["type"]
    if kind == "extra_forbidden":
        return SchemaError("unknown_parameter", f"Unknown parameter: '{param}'.", param)
    if kind == "missing":
        return SchemaError("missing_required_parameter", f"Missing required parameter: '{param}'.", param)
    if kind in ("literal_error", "enum"):
        supported = ", ".join(expected)
        return SchemaError("invalid_value", f"Invalid value: {value!r}. Supported values are: {supported}.", param)
    return SchemaError("invalid_type", f"Invalid type for '{param}': {error['msg'].lower()}.", param)


def check_event(event: dict[str, Any]) -> None:
    """Validate one client event (with a known `type`) against the SDK's GA types.

    Raises:
        SchemaError: the first thing the service would refuse, with its param.
    """
    model = EVENT_MODELS[event["type"]]
    try:
        model.model_validate({"value": event})
    except ValidationError as exc:
        errors = _relevant(exc.errors())
        plain = [e for e in errors if not _is_discriminator(e)]
        # When every branch refused its discriminator, the deepest is the one the client meant.
        chosen = plain[0] if plain else max(errors, key=lambda e: len(e["loc"]))
        param, _ = _param(chosen, event)
        expected = [
            str((e.get("ctx") or {}).get("expected", ""))
            for e in errors
            if e["type"] == "literal_error" and _param(e, event)[0] == param
        ]
        value = chosen.get("input")
        raise _describe(chosen, param, value, expected) from None


__all__ = ["EVENT_MODELS", "SchemaError", "check_event"]
