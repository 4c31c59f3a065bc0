"""OpenAPI documents of catalogue services (tài liệu đặc tả API): reading, checking, listing.

Providers publish an OpenAPI 3.x document with each service; access grants name the
operations of that document, and the catalogue shows them. Documents come from agency
administrators, so nothing in them may make the hub fetch a URL (only local ``$ref``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

import yaml
from django.utils.translation import gettext as _
from openapi_spec_validator import (
    OpenAPIV30SpecValidator,
    OpenAPIV31SpecValidator,
    OpenAPIV32SpecValidator,
)

from thudo.core.errors import FieldError

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_BYTES = 1_000_000
MAX_ERRORS = 5


class OpenApiInvalid(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class _JsonLikeLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: a document must survive the trip to JSON."""


_JsonLikeLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _error(code: str, message: str, field: str = "openapi") -> OpenApiInvalid:
    return OpenApiInvalid([FieldError(field, code, message)])


def parse(value: Mapping[str, Any] | str | bytes, *, field: str = "openapi") -> dict[str, Any]:
    """A document given as a mapping or as JSON/YAML text, as plain JSON data."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise _error("not_utf8", _("Tài liệu OpenAPI phải là văn bản UTF-8."), field) from None
    if isinstance(value, str):
        if len(value.encode("utf-8")) > MAX_BYTES:
            raise _error("too_large", _("Tài liệu OpenAPI tối đa 1 MB."), field)
        if not value.strip():
            raise _error("required", _("Tài liệu OpenAPI là bắt buộc."), field)
        try:
            loaded = json.loads(value)
        except ValueError:
            try:
                loaded = yaml.load(value, Loader=_JsonLikeLoader)  # noqa: S506 - a SafeLoader
            except yaml.YAMLError as exc:
                raise _error(
                    "not_json_or_yaml",
                    _("Tài liệu OpenAPI không phải JSON hay YAML hợp lệ: %(e)s")
                    % {"e": str(exc).splitlines()[0]},
                    field,
                ) from None
    else:
        loaded = value
    if not isinstance(loaded, Mapping):
        raise _error("not_an_object", _("Tài liệu OpenAPI phải là một đối tượng."), field)
    try:
        # Through JSON once: YAML's integer keys (response codes) become strings, and
        # what is validated is exactly what is stored.
        text = json.dumps(loaded, ensure_ascii=False)
    except (TypeError, ValueError):
        raise _error(
            "not_json_compatible",
            _("Tài liệu OpenAPI chứa giá trị không biểu diễn được bằng JSON."),
            field,
        ) from None
    except RecursionError:
        raise _error("too_deep", _("Tài liệu OpenAPI lồng nhau quá sâu."), field) from None
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise _error("too_large", _("Tài liệu OpenAPI tối đa 1 MB."), field)
    result: dict[str, Any] = json.loads(text)
    return result


def _refs(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every ``$ref`` in the document, with where it sits."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield at, ref
        for key, child in node.items():
            yield from _refs(child, (*at, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _refs(child, (*at, i))


def _pointer_target(document: dict[str, Any], ref: str) -> Any:
    """What a local reference (``#/a/b``) points at, or _MISSING."""
    target: Any = document
    if ref in ("#", "#/"):
        return target
    for part in ref.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return _MISSING
    return target


_MISSING = object()


def _location(parts: Any) -> str:
    return " › ".join(str(p) for p in parts) or "/"


def _reference_errors(document: dict[str, Any], field: str) -> list[FieldError]:
    errors = []
    for at, ref in _refs(document):
        if not ref.startswith("#"):
            message = _("%(at)s: chỉ được tham chiếu ($ref) trong cùng tài liệu.")
            errors.append(FieldError(field, "external_ref", message % {"at": _location(at)}))
        elif _pointer_target(document, ref) is _MISSING:
            message = _("%(at)s: không tìm thấy %(ref)s.")
            errors.append(
                FieldError(
                    field, "unresolvable_ref", message % {"at": _location(at), "ref": ref[:200]}
                )
            )
        if len(errors) >= MAX_ERRORS:
            break
    return errors


def validate(document: dict[str, Any], *, field: str = "openapi") -> None:
    """Refuse what is not a valid OpenAPI 3.x document with at least one operation."""
    version = document.get("openapi")
    validators = {
        "3.0": OpenAPIV30SpecValidator,
        "3.1": OpenAPIV31SpecValidator,
        "3.2": OpenAPIV32SpecValidator,
    }
    validator_class = validators.get(str(version)[:3]) if isinstance(version, str) else None
    if validator_class is None:
        raise _error(
            "unsupported_version",
            _("Chỉ nhận tài liệu OpenAPI 3.0, 3.1 hoặc 3.2 (trường 'openapi')."),
            field,
        )
    # Checked before the validator, which would otherwise fetch external references.
    reference_errors = _reference_errors(document, field)
    if reference_errors:
        raise OpenApiInvalid(reference_errors)
    try:
        found = list(islice(validator_class(document).iter_errors(), MAX_ERRORS))
    except RecursionError:
        raise _error("too_deep", _("Tài liệu OpenAPI lồng nhau quá sâu."), field) from None
    except Exception as exc:  # unresolvable $ref and other failures of the checker itself
        raise _error(
            "invalid_openapi",
            _("Tài liệu OpenAPI không hợp lệ: %(e)s") % {"e": str(exc).splitlines()[0][:300]},
            field,
        ) from None
    if found:
        raise OpenApiInvalid(
            [
                FieldError(
                    field,
                    "invalid_openapi",
                    f"{_location(e.absolute_path)}: {e.message.splitlines()[0][:300]}",
                )
                for e in found
            ]
        )
    if not operations(document):
        raise _error(
            "no_operations", _("Tài liệu OpenAPI phải có ít nhất một thao tác (paths)."), field
        )


def parse_and_validate(
    value: Mapping[str, Any] | str | bytes, *, field: str = "openapi"
) -> dict[str, Any]:
    document = parse(value, field=field)
    validate(document, field=field)
    return document


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    description: str


@dataclass(frozen=True)
class OperationInfo:
    """One operation of a document, as the catalogue shows it and grants name it."""

    method: str
    path: str
    summary: str
    operation_id: str
    parameters: tuple[Parameter, ...]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _resolve(document: dict[str, Any], node: Any) -> Any:
    """A local ``#/…`` reference followed (a few hops at most), else the node itself."""
    for _hop in range(5):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        target = _pointer_target(document, node["$ref"])
        node = {} if target is _MISSING else target
    return node


def _parameters(document: dict[str, Any], *lists: Any) -> tuple[Parameter, ...]:
    seen: dict[tuple[str, str], Parameter] = {}
    for raw in lists:
        for item in raw if isinstance(raw, list) else ():
            param = _resolve(document, item)
            if not isinstance(param, dict) or "name" not in param:
                continue
            location = str(param.get("in", ""))
            # Operation-level parameters override path-level ones of the same name.
            seen[(str(param["name"]), location)] = Parameter(
                name=str(param["name"]),
                location=location,
                required=bool(param.get("required", location == "path")),
                description=str(param.get("description", "")),
            )
    return tuple(seen.values())


def operations(document: Mapping[str, Any]) -> list[OperationInfo]:
    """Every operation under ``paths``, by path, then in the usual order of methods.

    Sorted because PostgreSQL's jsonb does not keep the order of an object's keys.
    """
    doc = dict(document)
    paths = doc.get("paths")
    result = []
    for path, item in sorted(paths.items()) if isinstance(paths, dict) else ():
        item = _resolve(doc, item)
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            result.append(
                OperationInfo(
                    method=method.upper(),
                    path=str(path),
                    summary=str(
                        op.get("summary") or str(op.get("description") or "").split("\n")[0]
                    ),
                    operation_id=str(op.get("operationId", "")),
                    parameters=_parameters(doc, item.get("parameters"), op.get("parameters")),
                )
            )
    return result
