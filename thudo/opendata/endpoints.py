"""Machine endpoints of the portal: CKAN's Action API v3, DCAT, files.

The Action API is not a django-ninja router like the platform's own API: CKAN's clients
(``ckanapi``, harvesters, portal software) expect its exact envelope — ``{"help",
"success", "result"}`` or ``{"success": false, "error": {"__type", "message", …}}`` with
CKAN's status codes — its parameter conventions (GET query strings whose list and dict
values are JSON, POST bodies as JSON or form data) and its token header
(``Authorization: <token>``, or ``X-CKAN-API-Key``). Each action is a thin function: it
reads its parameters, calls one selector or service and returns the CKAN-shaped result.
Reads are anonymous (a signed-in browser session or a token adds the caller's private
datasets); writes need an official's API token.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from thudo.core.auth import api_token_authenticate
from thudo.core.errors import (
    ApplicationError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from thudo.opendata import datastore, dcat, search, selectors, services
from thudo.opendata.contracts import LICENSES

CKAN_VERSION = "2.10.4"


class BadRequest(ApplicationError):
    code = "bad_request"
    status = 400


# --- the envelope --------------------------------------------------------------------------


def _help_url(request: HttpRequest, name: str) -> str:
    return request.build_absolute_uri(f"/opendata/api/3/action/help_show?name={name}")


def _error_body(exc: ApplicationError, name: str) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, NotFound):
        return 404, {
            "__type": "Not Found Error",
            "message": _("Không tìm thấy: %(what)s") % {"what": exc.message},
        }
    if isinstance(exc, PermissionDenied | NotAuthenticated):
        return 403, {
            "__type": "Authorization Error",
            "message": _("Từ chối truy cập: %(why)s") % {"why": exc.message},
        }
    if isinstance(exc, BadRequest):
        return 400, {"__type": "Bad request", "message": str(exc.message)}
    if isinstance(exc, InvalidInput):
        fields: dict[str, list[str]] = {}
        for item in exc.field_errors:
            fields.setdefault(item.field, []).append(item.message)
        if name == "package_search" and set(fields) & {"q", "fq", "sort"}:
            return 409, {
                "__type": "Search Query Error",
                "message": _("Truy vấn tìm kiếm không hợp lệ: %(why)s")
                % {"why": "; ".join(m for ms in fields.values() for m in ms)},
            }
        body: dict[str, Any] = {"__type": "Validation Error", "message": str(exc.message)}
        body.update(fields)
        return 409, body
    if isinstance(exc, Conflict):
        return 409, {"__type": "Validation Error", "message": str(exc.message)}
    return exc.status, {"__type": "Error", "message": str(exc.message)}


def _envelope(
    request: HttpRequest, name: str, *, result: Any = None, error: Any = None, status: int = 200
) -> JsonResponse:
    body: dict[str, Any] = {"help": _help_url(request, name), "success": error is None}
    if error is None:
        body["result"] = result
    else:
        body["error"] = error
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


# --- parameters --------------------------------------------------------------------------------


def _token_user(request: HttpRequest) -> Any:
    header = request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key") or ""
    secret = header.removeprefix("Bearer ").strip()
    if not secret:
        return None
    user = api_token_authenticate(secret)
    if user is None:
        raise NotAuthenticated(message=_("Khóa API không hợp lệ hoặc đã hết hạn."))
    return user


def _caller(request: HttpRequest) -> Any:
    """The token's user; for reads also the signed-in browser session."""
    user = _token_user(request)
    if user is not None:
        return user
    session_user = getattr(request, "user", None)
    if request.method == "GET" and session_user is not None and session_user.is_authenticated:
        return session_user
    return None


def _params(request: HttpRequest) -> dict[str, Any]:
    if request.method == "GET":
        found: dict[str, Any] = {}
        for key in request.GET:
            values = request.GET.getlist(key)
            if len(values) > 1:
                found[key] = values
                continue
            value = values[0] if values else ""
            if value[:1] in "[{":
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            found[key] = value
        return found
    content_type = request.content_type or ""
    if content_type.startswith("multipart/") or content_type == "application/x-www-form-urlencoded":
        found = {k: request.POST.get(k) for k in request.POST}
        for key, value in list(found.items()):
            if isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(ValueError):
                    found[key] = json.loads(value)
        return found
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError as exc:
        raise BadRequest(
            message=_("Nội dung JSON không đọc được: %(error)s") % {"error": exc}
        ) from None
    if not isinstance(data, dict):
        raise BadRequest(message=_("Nội dung phải là một đối tượng JSON."))
    return data


def _int(
    params: Mapping[str, Any], name: str, default: int, *, low: int = 0, high: int | None = None
) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            message=_("%(name)s phải là số nguyên.") % {"name": name},
            field_errors=[_fe(name, _("Phải là số nguyên."))],
        ) from None
    if number < low or (high is not None and number > high):
        raise InvalidInput(
            message=_("%(name)s ngoài khoảng cho phép.") % {"name": name},
            field_errors=[_fe(name, _("Ngoài khoảng cho phép."))],
        )
    return number


def _fe(name: str, message: str) -> Any:
    from thudo.core.errors import FieldError

    return FieldError(name, "invalid", message)


def _bool(params: Mapping[str, Any], name: str, default: bool = False) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"true", "1", "yes", "on"}


def _required(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise InvalidInput(
            message=_("Thiếu tham số %(name)s.") % {"name": name},
            field_errors=[_fe(name, _("Thiếu giá trị"))],
        )
    return str(value)


def _list(value: Any, name: str) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InvalidInput(
        message=_("%(name)s phải là danh sách JSON.") % {"name": name},
        field_errors=[_fe(name, _("Phải là danh sách."))],
    )


# --- actions -----------------------------------------------------------------------------------

Action = Callable[[HttpRequest, dict[str, Any], Any], Any]
ACTIONS: dict[str, Action] = {}
WRITES = {
    "package_create",
    "package_patch",
    "package_delete",
    "resource_create",
    "datastore_create",
    "datastore_upsert",
}


def action_def(func: Action) -> Action:
    ACTIONS[func.__name__.removeprefix("a_")] = func
    return func


@action_def
def a_status_show(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    return {
        "site_title": _("Cổng dữ liệu mở Hà Nội"),
        "site_description": _(
            "Dữ liệu mở của các cơ quan thành phố, theo Nghị định 47/2020/NĐ-CP."
        ),
        "site_url": request.build_absolute_uri("/opendata"),
        "ckan_version": CKAN_VERSION,
        "api_version": 3,
        "locale_default": "vi",
        "extensions": ["datastore", "dcat", "thudo"],
    }


@action_def
def a_site_read(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    return True


@action_def
def a_help_show(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    name = _required(params, "name")
    func = ACTIONS.get(name)
    if func is None:
        raise NotFound(message=name)
    return (func.__doc__ or name).strip()


@action_def
def a_package_list(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    names = selectors.package_names()
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", len(names) or 1, low=0)
    return names[offset : offset + limit]


@action_def
def a_package_search(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    """Search datasets: q, fq, rows, start, sort, facet.field, facet.limit, include_private."""
    query = search.Query(
        q=str(params.get("q") or ""),
        fq=str(params.get("fq") or ""),
        rows=_int(params, "rows", 10, high=search.MAX_ROWS),
        start=_int(params, "start", 0),
        sort=str(params.get("sort") or ""),
        facet_fields=_list(params.get("facet.field"), "facet.field")
        if _bool(params, "facet", True)
        else (),
        facet_limit=_int(params, "facet.limit", 50, low=-1),
        include_private=_bool(params, "include_private"),
        include_drafts=_bool(params, "include_drafts"),
    )
    result = search.run(query, own_orgs=selectors.own_organizations(user))
    titles = _facet_titles(result.facets)
    return {
        "count": result.count,
        "sort": result.sort,
        "results": selectors.package_dicts(result.ids),
        "facets": result.facets,
        "search_facets": {
            field: {
                "title": field,
                "items": [
                    {"name": v, "display_name": titles.get((field, v), v), "count": n}
                    for v, n in values.items()
                ],
            }
            for field, values in result.facets.items()
        },
    }


def _facet_titles(facets: Mapping[str, Mapping[str, int]]) -> dict[tuple[str, str], str]:
    """Display names of the facet values found (not of every organisation and theme)."""
    titles: dict[tuple[str, str], str] = {}
    if facets.get("organization"):
        titles |= {
            ("organization", name): title
            for name, title in selectors.organization_titles(list(facets["organization"]))
        }
    if facets.get("groups"):
        titles |= {
            ("groups", name): title
            for name, title in selectors.group_titles(list(facets["groups"]))
        }
    if "license_id" in facets:
        titles |= {("license_id", lic.id): lic.title for lic in LICENSES}
    return titles


def _dataset(params: Mapping[str, Any], user: Any, name: str = "id") -> Any:
    ident = _required(params, name)
    found = selectors.dataset_get_for_user(user=user, ident=ident)
    if found is None:
        raise NotFound(message=_("bộ dữ liệu %(id)s") % {"id": ident})
    return found


@action_def
def a_package_show(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    """A dataset by id or name; ``revision`` gives an earlier version."""
    ds = _dataset(params, user)
    if params.get("revision") not in (None, ""):
        record = selectors.package_version(ds, _int(params, "revision", 1, low=1))
        if record is None:
            raise NotFound(message=_("phiên bản %(n)s") % {"n": params["revision"]})
        return record
    return selectors.package_show(ds)


@action_def
def a_package_activity_list(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    """The versions of a dataset, newest first (``package_show`` with ``revision`` reads one)."""
    ds = _dataset(params, user)
    return [
        {
            "id": f"{ds.pk}-r{v.revision}",
            "object_id": str(ds.pk),
            "revision": v.revision,
            "timestamp": selectors._iso(v.created_at),
            "activity_type": "new package" if v.revision == 1 else "changed package",
            "user_id": str(v.author_id) if v.author_id else None,
            "note": v.note,
        }
        for v in selectors.versions_of(ds)
    ]


def _org_or_group(
    model_list: list[tuple[Any, int]],
    params: Mapping[str, Any],
    to_dict: Callable[..., dict[str, Any]],
) -> Any:
    items = model_list
    if str(params.get("sort") or "name asc").startswith("package_count"):
        items = sorted(items, key=lambda pair: -pair[1])
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", 1000, high=1000)
    items = items[offset : offset + limit]
    if _bool(params, "all_fields"):
        return [to_dict(obj, package_count=n) for obj, n in items]
    return [obj.name for obj, _n in items]


@action_def
def a_organization_list(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    return _org_or_group(selectors.organizations(), params, selectors.organization_dict)


@action_def
def a_group_list(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    return _org_or_group(selectors.groups(), params, selectors.group_dict)


def _show_container(request: HttpRequest, params: dict[str, Any], user: Any, *, kind: str) -> Any:
    from thudo.opendata.models import Group, Organization

    model = Organization if kind == "organization" else Group
    ident = _required(params, "id")
    obj = selectors.by_id_or_name(model, ident)
    if obj is None:
        raise NotFound(message=ident)
    result = search.run(
        search.Query(
            fq=f'{"organization" if kind == "organization" else "groups"}:"{obj.name}"',
            rows=1000 if _bool(params, "include_datasets") else 0,
            include_private=True,
        ),
        own_orgs=selectors.own_organizations(user),
    )
    body = (selectors.organization_dict if kind == "organization" else selectors.group_dict)(
        obj, package_count=result.count
    )
    if _bool(params, "include_datasets"):
        body["packages"] = selectors.package_dicts(result.ids)
    return body


@action_def
def a_organization_show(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    return _show_container(request, params, user, kind="organization")


@action_def
def a_group_show(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    return _show_container(request, params, user, kind="group")


@action_def
def a_tag_list(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    names = selectors.tag_names(str(params.get("query") or params.get("q") or ""))
    if _bool(params, "all_fields"):
        return [{"name": n, "display_name": n, "vocabulary_id": None} for n in names]
    return names


@action_def
def a_license_list(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    return [
        {
            "id": lic.id,
            "title": lic.title,
            "url": lic.url,
            "od_conformance": lic.od_conformance,
            "status": "active",
            "domain_data": True,
        }
        for lic in LICENSES
    ]


@action_def
def a_resource_show(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    ident = _required(params, "id")
    found = selectors.resource_get_for_user(user=user, ident=ident)
    if found is None:
        raise NotFound(message=_("tài nguyên %(id)s") % {"id": ident})
    return selectors.resource_dict(found)


def _store(params: Mapping[str, Any], user: Any, name: str = "resource_id") -> Any:
    ident = _required(params, name)
    store = selectors.datastore_get_for_user(user=user, resource_id=ident)
    if store is None or not store.active:
        raise NotFound(message=_("bảng dữ liệu của tài nguyên %(id)s") % {"id": ident})
    return store


@action_def
def a_datastore_search(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    """Rows of a resource's table: filters, q, limit, offset, sort, fields, include_total."""
    store = _store(params, user, "resource_id" if "resource_id" in params else "id")
    result = datastore.search_table(
        store,
        filters=params.get("filters"),
        q=params.get("q") or "",
        limit=params.get("limit", datastore.DEFAULT_LIMIT),
        offset=params.get("offset", 0),
        sort=params.get("sort") or "",
        fields=params.get("fields"),
        include_total=_bool(params, "include_total", True),
    )
    base = "/opendata/api/3/action/datastore_search"
    result["_links"] = {
        "start": f"{base}?resource_id={store.resource_id}",
        "next": (
            f"{base}?resource_id={store.resource_id}&offset={result['offset'] + result['limit']}"
        ),
    }
    return result


@action_def
def a_datastore_info(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    store = _store(params, user, "id" if "id" in params else "resource_id")
    return {
        "meta": {"count": store.row_count, "id": str(store.resource_id)},
        "fields": [{"id": f["id"], "type": f["type"]} for f in store.fields],
    }


@action_def
def a_datastore_search_sql(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    """One read-only SELECT over datastore tables (named by resource id), time-limited."""
    sql = _required(params, "sql")

    def known(resource_id: str) -> str | None:
        store = selectors.datastore_get_for_user(user=user, resource_id=resource_id)
        return store.table_name if store is not None and store.active else None

    return datastore.search_sql(sql, known=known)


# --- writes ------------------------------------------------------------------------------


@action_def
def a_package_create(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    ds = services.dataset_create(actor=user, data=params)
    return selectors.package_show(ds)


@action_def
def a_package_patch(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    ds = _dataset(params, user)
    data = {k: v for k, v in params.items() if k != "id"}
    return selectors.package_show(services.dataset_patch(actor=user, dataset=ds, data=data))


@action_def
def a_package_delete(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    services.dataset_delete(actor=user, dataset=_dataset(params, user))
    return None


@action_def
def a_resource_create(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    """A resource: ``url`` for a link, or a multipart ``upload`` file (a CSV or XLSX is
    loaded into the datastore in the background)."""
    ds = _dataset(params, user, "package_id")
    upload = request.FILES.get("upload")
    if (
        upload is not None
        and upload.size is not None
        and upload.size > settings.OPENDATA_MAX_UPLOAD_BYTES
    ):
        raise InvalidInput(
            message=_("Tệp quá lớn."),
            field_errors=[
                _fe(
                    "upload",
                    _("Tệp %(size)s byte vượt giới hạn %(max)s byte.")
                    % {"size": upload.size, "max": settings.OPENDATA_MAX_UPLOAD_BYTES},
                )
            ],
        )
    content = (upload.name or "data", upload.read()) if upload is not None else None
    data = {k: v for k, v in params.items() if k not in {"package_id", "upload"}}
    resource = services.resource_create(actor=user, dataset=ds, data=data, upload=content)
    return selectors.resource_dict(resource)


@action_def
def a_datastore_create(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    store = services.datastore_create(
        actor=user,
        resource_id=params.get("resource_id"),
        resource=params.get("resource"),
        fields=params.get("fields"),
        records=params.get("records"),
        primary_key=params.get("primary_key"),
    )
    return {
        "resource_id": str(store.resource_id),
        "fields": [{"id": f["id"], "type": f["type"]} for f in store.fields],
        "primary_key": store.primary_key,
        "method": "insert",
    }


@action_def
def a_datastore_upsert(request: HttpRequest, params: dict[str, Any], user: Any) -> Any:
    store = services.datastore_upsert(
        actor=user,
        resource_id=_required(params, "resource_id"),
        records=params.get("records"),
        method=str(params.get("method") or "upsert"),
    )
    return {
        "resource_id": str(store.resource_id),
        "method": params.get("method") or "upsert",
        "records": params.get("records"),
    }


@login_not_required
@csrf_exempt
def action(request: HttpRequest, action: str) -> HttpResponse:
    """``/opendata/api/3/action/<name>`` (and ``/opendata/api/action/<name>``)."""
    func = ACTIONS.get(action)
    if func is None:
        return _envelope(
            request,
            action,
            error={
                "__type": "Bad request",
                "message": _("Bad request - Action name not known: %(name)s") % {"name": action},
            },
            status=400,
        )
    if request.method not in {"GET", "POST"}:
        return _envelope(
            request,
            action,
            error={"__type": "Bad request", "message": _("Chỉ dùng GET hoặc POST.")},
            status=405,
        )
    try:
        if action in WRITES and request.method != "POST":
            raise BadRequest(message=_("Hành động ghi phải gửi bằng POST."))
        user = _caller(request)
        if action in WRITES and user is None:
            raise PermissionDenied(message=_("Cần khóa API của cán bộ (tiêu đề Authorization)."))
        params = _params(request)
        result = func(request, params, user)
    except ApplicationError as exc:
        status, error = _error_body(exc, action)
        return _envelope(request, action, error=error, status=status)
    return _envelope(request, action, result=result)


@login_not_required
@require_GET
def api_root(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"version": 3})


# --- DCAT and files ------------------------------------------------------------------------


def _site(request: HttpRequest) -> dict[str, Any]:
    return {
        "title": _("Cổng dữ liệu mở Hà Nội"),
        "title_en": "Hanoi open data portal",
        "description": _("Dữ liệu mở của các cơ quan thành phố, theo Nghị định 47/2020/NĐ-CP."),
        "url": request.build_absolute_uri("/opendata/"),
        "publisher": {"name": "ubnd-thanh-pho", "title": _("Ủy ban nhân dân Thành phố Hà Nội")},
        "language": "vi",
        "modified": None,
    }


def _rdf(graph: Any, fmt: str) -> HttpResponse:
    try:
        body, content_type = dcat.serialize(graph, fmt)
    except ValueError:
        raise Http404 from None
    return HttpResponse(body, content_type=f"{content_type}; charset=utf-8")


@login_not_required
@require_GET
def catalog(request: HttpRequest, fmt: str) -> HttpResponse:
    """The whole public catalogue in DCAT-AP 3 (``catalog.jsonld|ttl|rdf``)."""
    if fmt not in dcat.FORMATS:
        raise Http404
    base = request.build_absolute_uri("/opendata").rstrip("/")
    packages = selectors.public_packages()
    return _rdf(dcat.catalog_graph(_site(request), packages, base_url=base), fmt)


@login_not_required
@require_GET
def dataset_rdf(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    if fmt not in dcat.FORMATS:
        raise Http404
    ds = selectors.dataset_get_for_user(user=request.user, ident=name)
    if ds is None:
        raise Http404
    base = request.build_absolute_uri("/opendata").rstrip("/")
    return _rdf(dcat.dataset_graph(selectors.package_show(ds), base_url=base), fmt)


@login_not_required
@require_GET
def resource_download(
    request: HttpRequest, dataset_id: Any, resource_id: Any, filename: str
) -> HttpResponseBase:
    found = selectors.resource_get_for_user(user=request.user, ident=str(resource_id))
    if found is None or found.dataset_id != dataset_id or not found.file:
        raise Http404
    handle = found.file.open("rb")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=(found.file.name or "data").rsplit("/", 1)[-1],
        content_type=found.mimetype or "application/octet-stream",
    )


@login_not_required
@require_GET
def datastore_dump(request: HttpRequest, resource_id: Any) -> HttpResponseBase:
    """A datastore table as CSV (CKAN's ``/datastore/dump/<id>``)."""
    store = selectors.datastore_get_for_user(user=request.user, resource_id=str(resource_id))
    if store is None or not store.active:
        raise Http404
    response = StreamingHttpResponse(
        datastore.dump_csv(store), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{resource_id}.csv"'
    return response
