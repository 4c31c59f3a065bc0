"""Pages of the open-data portal (cổng dữ liệu mở): the home page, dataset search with its
facets, a dataset with its resources, versions and Decree 47 state, a resource with the
preview of its datastore table and the progress of its load, publishers and themes, the
open-data list (danh mục dữ liệu mở); and, signed in, the publishers' pages: their
datasets with the Decree 47 dashboard, the dataset form, uploads, reviews, reloads.

Each page is one or two selector calls, each action one service call. A dataset the
reader may not see is 404, as for one that does not exist; an action the reader may not
take is 403, and its button is not shown. htmx requests get only their fragment (the
search results, the preview table, the load state), with status 200 even for an error,
since htmx does not swap 4xx responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thudo.core.auth import AuthedRequest
from thudo.core.errors import ApplicationError, NotFound, PermissionDenied
from thudo.core.pages import htmx_status, official_or_404
from thudo.opendata import datastore, display, permissions, search, selectors, services
from thudo.opendata.contracts import DEFAULT_LICENSE, LICENSES, DatasetState, DatastoreStatus
from thudo.opendata.forms import (
    DatasetForm,
    PreviewForm,
    ReloadForm,
    ResourceForm,
    ReviewForm,
    SearchForm,
    show_error,
    upload_limit,
)
from thudo.opendata.models import Dataset, Datastore, Organization, Resource

PAGE_SIZE = 20
PREVIEW_ROWS = 50
CATALOG_FORMATS = (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("rdf", "RDF/XML"))


# --- addresses ------------------------------------------------------------------------------


def _dataset(request: HttpRequest, name: str) -> Dataset:
    found = selectors.dataset_get_for_user(user=request.user, ident=name)
    if found is None:
        raise NotFound(_("Không có bộ dữ liệu này, hoặc bạn không được xem bộ dữ liệu này."))
    return found


def _resource(request: HttpRequest, name: str, resource_id: UUID) -> tuple[Dataset, Resource]:
    ds = _dataset(request, name)
    found = selectors.resource_get_for_user(user=request.user, ident=str(resource_id))
    if found is None or found.dataset_id != ds.pk:
        raise NotFound(_("Bộ dữ liệu không có tài nguyên này."))
    return ds, found


def _dataset_url(ds: Dataset) -> str:
    return reverse("opendata:dataset", args=[ds.name])


def _fragment(request: HttpRequest) -> bool:
    """An htmx request for a fragment; htmx restoring history after a cache miss wants
    the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not getattr(htmx, "history_restore_request", False)


def _resource_url(ds: Dataset, resource_id: Any) -> str:
    return reverse("opendata:resource", args=[ds.name, resource_id])


def _api_url(request: HttpRequest, action: str, query: str = "") -> str:
    return request.build_absolute_uri(reverse("opendata:action", args=[action])) + query


def _catalog_links() -> list[tuple[str, str]]:
    return [(label, reverse("opendata:catalog", args=[fmt])) for fmt, label in CATALOG_FORMATS]


def _labels() -> dict[str, dict[str, str]]:
    """How facet values are shown: publishers and themes by their titles."""
    return {
        "organization": {org.name: org.agency.name for org, _n in selectors.organizations()},
        "groups": {group.name: group.title for group, _n in selectors.groups()},
        "license_id": {lic.id: lic.title for lic in LICENSES},
    }


# --- home -----------------------------------------------------------------------------------


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    organizations = sorted(selectors.organizations(), key=lambda o: (-o[1], o[0].name))
    context = {
        "stats": {k: display.vn(n) for k, n in selectors.site_stats().items()},
        "groups": selectors.groups(),
        "organizations": organizations[:8],
        "organizations_total": len(organizations),
        "recent": [display.dataset_view(r) for r in selectors.recent(6)],
        "api_example": _api_url(request, "package_search", "?q=ha+noi&rows=5"),
        "catalog": _catalog_links(),
    }
    return render(request, "opendata/home.html", context)


# --- dataset search: the list, a publisher's and a theme's datasets ----------------------------


@dataclass(frozen=True)
class Scope:
    """The datasets of one publisher or one theme: a filter always applied."""

    kind: str  # "organization" or "groups"
    name: str
    title: str
    description: str
    count: int


def _search_context(request: HttpRequest, *, base: str, scope: Scope | None) -> dict[str, Any]:
    form = SearchForm(request.GET)
    fields = [f for f in search.FACET_FIELDS if scope is None or f != scope.kind]
    state = display.SearchState(q=str(request.GET.get("q", ""))[:200])
    error, status = "", 200
    result: search.Result | None = None
    page = 1
    if form.is_valid():
        data = form.cleaned_data
        page = data["page"] or 1
        state = display.SearchState(q=data["q"], sort=data["sort"], filters=form.filters())
        fixed = {scope.kind: [scope.name]} if scope is not None else {}
        try:
            result = search.run(
                search.Query(
                    q=state.q,
                    fq=display.fq({**fixed, **state.filters}),
                    rows=PAGE_SIZE,
                    start=(page - 1) * PAGE_SIZE,
                    sort=state.sort,
                    facet_fields=tuple(fields),
                    include_private=request.user.is_authenticated,
                ),
                own_orgs=selectors.own_organizations(request.user),
            )
        except ApplicationError as exc:
            error, status = str(exc.message), exc.status
    else:
        error, status = form.problem(), 400
    labels = _labels()
    records = selectors.package_dicts(result.ids) if result is not None else []
    count = result.count if result is not None else 0
    return {
        "scope": scope,
        "base": base,
        "state": state,
        "sorts": SearchForm.base_fields["sort"].choices,  # type: ignore[attr-defined]
        "error": error,
        "status": status,
        "count": count,
        "results": [(display.dataset_view(r), display.excerpt(r["notes"])) for r in records],
        "facets": display.facets(
            result.facets if result is not None else {}, state, labels, base=base, fields=fields
        ),
        "active": display.active_filters(state, labels, base=base),
        "pager": display.pager(
            count,
            page,
            PAGE_SIZE,
            lambda n: base + display.query_string(state.params(page=n if n > 1 else "")),
        ),
        "htmx": _fragment(request),
    }


def _render_search(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    template = "opendata/datasets.html"
    if context["htmx"]:
        template += "#results"
    return render(request, template, context, status=htmx_status(request, context["status"]))


@login_not_required
@require_GET
def datasets(request: HttpRequest) -> HttpResponse:
    context = _search_context(request, base=reverse("opendata:datasets"), scope=None)
    return _render_search(request, context)


@login_not_required
@require_GET
def organizations(request: HttpRequest) -> HttpResponse:
    found = [(selectors.organization_dict(org), n) for org, n in selectors.organizations()]
    return render(request, "opendata/organizations.html", {"organizations": found})


@login_not_required
@require_GET
def organization(request: HttpRequest, name: str) -> HttpResponse:
    found = next(((o, n) for o, n in selectors.organizations() if o.name == name), None)
    if found is None:
        raise NotFound(_("Không có tổ chức công bố dữ liệu này."))
    org, count = found
    scope = Scope("organization", org.name, org.agency.name, org.description, count)
    base = reverse("opendata:organization", args=[org.name])
    return _render_search(request, _search_context(request, base=base, scope=scope))


@login_not_required
@require_GET
def groups(request: HttpRequest) -> HttpResponse:
    return render(request, "opendata/groups.html", {"groups": selectors.groups()})


@login_not_required
@require_GET
def group(request: HttpRequest, name: str) -> HttpResponse:
    found = next(((g, n) for g, n in selectors.groups() if g.name == name), None)
    if found is None:
        raise NotFound(_("Không có chủ đề này."))
    theme, count = found
    scope = Scope("groups", theme.name, theme.title, theme.description, count)
    base = reverse("opendata:group", args=[theme.name])
    return _render_search(request, _search_context(request, base=base, scope=scope))


# --- a dataset and its old versions -----------------------------------------------------------


def _dataset_context(request: HttpRequest, ds: Dataset, record: dict[str, Any]) -> dict[str, Any]:
    agency = ds.organization.agency
    user = request.user
    editable = ds.state != DatasetState.DELETED
    datastore_resources = [r for r in record["resources"] if r.get("datastore_active")]
    return {
        "dataset": ds,
        "view": display.dataset_view(record),
        "record": record,
        "versions": list(selectors.versions_of(ds)),
        "reviews": list(selectors.reviews_of(ds))[:5],
        "review_due": selectors.review_due(ds),
        "update_due": selectors.update_due(ds),
        "today": timezone.localdate(),
        "can": {
            "edit": editable and permissions.edits(user, agency),
            "review": editable and permissions.publishes(user, agency),
        },
        "api": {
            "package_show": _api_url(request, "package_show", f"?id={ds.name}"),
            "datastore": [
                (r, _api_url(request, "datastore_search", f"?resource_id={r['id']}&limit=5"))
                for r in datastore_resources
            ],
        },
        "rdf": [
            (label, reverse("opendata:dataset_rdf", args=[ds.name, fmt]))
            for fmt, label in CATALOG_FORMATS
        ],
    }


@login_not_required
@require_GET
def dataset(request: HttpRequest, name: str) -> HttpResponse:
    ds = _dataset(request, name)
    context = _dataset_context(request, ds, selectors.package_show(ds))
    return render(request, "opendata/dataset.html", context)


@login_not_required
@require_GET
def dataset_version(request: HttpRequest, name: str, revision: int) -> HttpResponse:
    ds = _dataset(request, name)
    if revision == ds.revision:
        return redirect(_dataset_url(ds))
    record = selectors.package_version(ds, revision)
    if record is None:
        raise NotFound(_("Bộ dữ liệu không có phiên bản r%(n)s.") % {"n": revision})
    context = _dataset_context(request, ds, record)
    context.update(old=True, revision=revision, can={"edit": False, "review": False})
    return render(request, "opendata/dataset.html", context)


# --- a resource: its datastore table, the preview, the load --------------------------------


@dataclass(frozen=True)
class Preview:
    """One page of a datastore table: each cell with whether it is a number."""

    columns: list[dict[str, Any]]  # id, type, and whether it holds numbers
    rows: list[list[tuple[Any, bool]]]
    total: int
    q: str
    pager: display.Pager  # its addresses are query strings, for either base below
    page_url: str  # the resource page
    fragment_url: str  # the table alone
    error: str = ""


def _has_table(store: Datastore | None) -> bool:
    """Whether a table is there to read: a load completed once. A failed reload leaves
    the previous table; one still running is not shown half-done."""
    return bool(store is not None and store.fields and store.active)


def _preview(request: HttpRequest, ds: Dataset, store: Datastore) -> Preview:
    form = PreviewForm(request.GET)
    page, q = 1, ""
    error = ""
    if form.is_valid():
        page, q = form.cleaned_data["page"] or 1, form.cleaned_data["q"]
    else:
        error = " ".join(str(m) for ms in form.errors.values() for m in ms)
    try:
        found = datastore.search_table(
            store, limit=PREVIEW_ROWS, offset=(page - 1) * PREVIEW_ROWS, q=q
        )
    except ApplicationError as exc:
        found = {"fields": [], "records": [], "total": 0}
        error = str(exc.message)
    columns = found["fields"]
    numeric = [c["type"] in ("int", "numeric") for c in columns]
    total = int(found.get("total") or 0)
    return Preview(
        columns=[{**c, "numeric": n} for c, n in zip(columns, numeric, strict=True)],
        rows=[
            [(rec.get(c["id"]), n) for c, n in zip(columns, numeric, strict=True)]
            for rec in found["records"]
        ],
        total=total,
        q=q,
        pager=display.pager(
            total,
            page,
            PREVIEW_ROWS,
            lambda n: display.query_string({"q": q, "page": n if n > 1 else ""}),
        ),
        page_url=_resource_url(ds, store.resource_id),
        fragment_url=reverse("opendata:resource_preview", args=[ds.name, store.resource_id]),
        error=error,
    )


def _resource_context(
    request: HttpRequest, ds: Dataset, res: Resource, **extra: Any
) -> dict[str, Any]:
    record = selectors.package_show(ds)
    item = next(r for r in record["resources"] if r["id"] == str(res.pk))
    store = selectors.datastore_get_for_user(user=request.user, resource_id=str(res.pk))
    editor = permissions.edits(request.user, ds.organization.agency)
    busy = store is not None and store.status in (DatastoreStatus.PENDING, DatastoreStatus.RUNNING)
    reloadable = (
        editor
        and not busy
        and ds.state != DatasetState.DELETED
        and bool(res.file)
        and res.format.upper() in services.TABULAR
    )
    if reloadable and "reload_form" not in extra:
        columns = [(f["id"], f["type"]) for f in (store.fields if store else [])]
        extra["reload_form"] = ReloadForm(columns=columns, auto_id="reload-%s")
    fields = [
        (f["id"], display.label(display.FIELD_TYPE, f["type"]), f.get("label", ""))
        for f in (store.fields if store else [])
    ]
    return {
        "dataset": ds,
        "view": display.dataset_view(record),
        "resource": display.ResourceView(
            item, display.when(item.get("created")), display.when(item.get("last_modified"))
        ),
        "store": store,
        "store_status": display.label(display.DATASTORE_STATUS, store.status) if store else "",
        "busy": busy,
        "numbers": {
            "rows": display.vn(store.row_count if store else 0),
            "done": display.vn(store.rows_done if store else 0),
            "total": display.vn(store.rows_total if store else 0),
            "errors": display.vn(store.error_count if store else 0),
            "errors_shown": display.vn(len(store.errors) if store else 0),
        },
        "fields": fields,
        "preview": _preview(request, ds, store)
        if store is not None and _has_table(store)
        else None,
        "can_edit": editor,
        "api": _api_url(request, "datastore_search", f"?resource_id={res.pk}&limit=5"),
        "dump_url": reverse("opendata:datastore_dump", args=[res.pk]),
        **extra,
    }


@login_not_required
@require_GET
def resource(request: HttpRequest, name: str, resource_id: UUID) -> HttpResponse:
    ds, res = _resource(request, name, resource_id)
    return render(request, "opendata/resource.html", _resource_context(request, ds, res))


@login_not_required
@require_GET
def resource_preview(request: HttpRequest, name: str, resource_id: UUID) -> HttpResponse:
    """The preview table alone, paged or searched (htmx); without htmx, the page."""
    ds, res = _resource(request, name, resource_id)
    if not _fragment(request):
        return redirect(_resource_url(ds, res.pk) + display.query_string(request.GET.dict()))
    store = selectors.datastore_get_for_user(user=request.user, resource_id=str(res.pk))
    if store is None or not _has_table(store):
        raise NotFound(_("Tài nguyên chưa có bảng dữ liệu."))
    context = {"preview": _preview(request, ds, store)}
    return render(request, "opendata/resource.html#preview", context)


@login_not_required
@require_GET
def datastore_progress(request: HttpRequest, name: str, resource_id: UUID) -> HttpResponse:
    """The load state, polled by the resource page while a load is queued or running:
    public like the resource, since the readers of a table wait for it too."""
    ds, res = _resource(request, name, resource_id)
    if not _fragment(request):
        return redirect(_resource_url(ds, res.pk))
    return render(request, "opendata/resource.html#datastore", _resource_context(request, ds, res))


# --- publishers and the open-data list ------------------------------------------------------


@dataclass(frozen=True)
class ListEntry:
    dataset: Dataset
    frequency: str
    review_due: Any
    review_late: bool


@login_not_required
@require_GET
def open_data_list(request: HttpRequest) -> HttpResponse:
    """Danh mục dữ liệu mở (Decree 47, art. 18–19), grouped by publisher. Entries not
    public yet (drafts, private) are shown to their own editors only."""
    today = timezone.localdate()
    own = set(selectors.own_organizations(request.user))
    visible = [
        ds
        for ds in selectors.open_data_list()
        if ds.is_public or (ds.organization_id in own and ds.state != DatasetState.DELETED)
    ]
    sections = []
    for _org_id, items in groupby(visible, key=lambda d: d.organization_id):
        entries = []
        for ds in items:
            due = selectors.review_due(ds)
            entries.append(
                ListEntry(ds, display.frequency_label(ds.frequency), due, bool(due and due < today))
            )
        sections.append((entries[0].dataset.organization, entries))
    return render(
        request,
        "opendata/open_data_list.html",
        {"sections": sections, "total": len(visible), "today": today},
    )


# --- the publishers' pages ------------------------------------------------------------------


@login_required
@require_GET
def manage(request: AuthedRequest) -> HttpResponse:
    """An official's datasets (drafts and private ones too) and the Decree 47 dashboard."""
    user = official_or_404(request)
    mine = list(selectors.datasets_for_user(user=user))
    dashboard = selectors.dashboard(user=user)
    counts = {
        "total": len(mine),
        "draft": sum(1 for d in mine if d.state == DatasetState.DRAFT),
        "private": sum(1 for d in mine if d.state == DatasetState.ACTIVE and d.private),
        "public": sum(1 for d in mine if d.is_public),
        "listed": sum(1 for d in mine if d.in_open_data_list),
        "review_late": sum(1 for o in dashboard if o.review_late),
        "update_late": sum(1 for o in dashboard if o.update_late),
    }
    page = Paginator(mine, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(d, display.visibility(d.state, d.private)) for d in page.object_list],
        "dashboard": dashboard,
        "late": [o for o in dashboard if o.review_late or o.update_late],
        "counts": counts,
        "can_create": bool(selectors.publishable_organizations(user)),
        "today": timezone.localdate(),
    }
    return render(request, "opendata/manage.html", context)


def _form_choices(user: Any, current: Organization | None = None) -> dict[str, Any]:
    orgs = list(selectors.publishable_organizations(user))
    if current is not None and current.pk not in {o.pk for o in orgs}:
        orgs.append(current)
    return {
        "organizations": [(o.name, o.agency.name) for o in orgs],
        "groups": [(g.name, g.title) for g, _n in selectors.groups()],
    }


def _with_name(post: Any, current: str = "") -> Any:
    """A new dataset's name suggested from its title when none was typed, so the form
    shows what was tried (and, if taken, lets the publisher change it); an edited one
    keeps its name."""
    data = post.copy()
    if not data.get("name", "").strip():
        data["name"] = current or display.suggest_name(data.get("title", ""))
    return data


def _render_form(
    request: HttpRequest, form: DatasetForm, ds: Dataset | None, *, status: int = 200
) -> HttpResponse:
    context = {"form": form, "dataset": ds, "licenses": LICENSES}
    return render(request, "opendata/dataset_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def dataset_new(request: AuthedRequest) -> HttpResponse:
    user = official_or_404(request)
    choices = _form_choices(user)
    if not choices["organizations"]:
        raise PermissionDenied(
            _("Bạn chưa là cán bộ biên tập dữ liệu của tổ chức công bố dữ liệu nào.")
        )
    if request.method != "POST":
        orgs = choices["organizations"]
        initial = {
            "state": DatasetState.DRAFT.value,
            "license_id": DEFAULT_LICENSE,
            "owner_org": orgs[0][0] if len(orgs) == 1 else "",
        }
        form = DatasetForm(initial=initial, **choices)
        return _render_form(request, form, None)
    form = DatasetForm(_with_name(request.POST), **choices)
    if not form.is_valid():
        return _render_form(request, form, None, status=422)
    try:
        ds = services.dataset_create(actor=user, data=form.data_for_service(creating=True))
    except ApplicationError as exc:
        show_error(form, exc)
        return _render_form(request, form, None, status=exc.status)
    messages.success(request, _("Đã tạo bộ dữ liệu “%(t)s”.") % {"t": ds.title})
    return redirect(_dataset_url(ds))


def _editable(request: AuthedRequest, name: str, check: Any) -> tuple[Any, Dataset]:
    user = official_or_404(request)
    ds = _dataset(request, name)
    if ds.state == DatasetState.DELETED or not check(user, ds.organization.agency):
        raise PermissionDenied(_("Bạn không có quyền thay đổi bộ dữ liệu này."))
    return user, ds


@login_required
@require_http_methods(["GET", "POST"])
def dataset_edit(request: AuthedRequest, name: str) -> HttpResponse:
    user, ds = _editable(request, name, permissions.edits)
    choices = _form_choices(user, ds.organization)
    if request.method != "POST":
        initial = DatasetForm.initial_from(selectors.package_show(ds))
        return _render_form(request, DatasetForm(initial=initial, **choices), ds)
    form = DatasetForm(_with_name(request.POST, ds.name), **choices)
    if not form.is_valid():
        return _render_form(request, form, ds, status=422)
    try:
        ds = services.dataset_patch(actor=user, dataset=ds, data=form.data_for_service())
    except ApplicationError as exc:
        show_error(form, exc)
        return _render_form(request, form, ds, status=exc.status)
    messages.success(request, _("Đã lưu bộ dữ liệu: phiên bản r%(n)s.") % {"n": ds.revision})
    return redirect(_dataset_url(ds))


@login_required
@require_http_methods(["GET", "POST"])
def resource_new(request: AuthedRequest, name: str) -> HttpResponse:
    user, ds = _editable(request, name, permissions.edits)
    status = 200
    if request.method != "POST":
        form = ResourceForm(auto_id="resource-%s")
    else:
        form = ResourceForm(request.POST, request.FILES, auto_id="resource-%s")
        if form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            try:
                res = services.resource_create(
                    actor=user,
                    dataset=ds,
                    data={
                        "name": data["name"],
                        "description": data["description"],
                        "url": data["url"],
                        "format": data["format"],
                    },
                    upload=(upload.name, upload.read()) if upload else None,
                )
            except ApplicationError as exc:
                show_error(form, exc, aliases=form.aliases())
                status = exc.status
            else:
                messages.success(request, _("Đã thêm tài nguyên “%(n)s”.") % {"n": res.name})
                return redirect(_resource_url(ds, res.pk))
        else:
            status = 422
    context = {"form": form, "dataset": ds, "limit_mb": f"{upload_limit() / 2**20:.3g}"}
    return render(request, "opendata/resource_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def dataset_review(request: AuthedRequest, name: str) -> HttpResponse:
    user, ds = _editable(request, name, permissions.publishes)
    status = 200
    if request.method != "POST":
        form = ReviewForm(auto_id="review-%s")
    else:
        form = ReviewForm(request.POST, auto_id="review-%s")
        if form.is_valid():
            try:
                services.dataset_review(
                    actor=user,
                    dataset=ds,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as exc:
                show_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Đã ghi kết quả rà soát danh mục dữ liệu mở."))
                return redirect(_dataset_url(ds))
        else:
            status = 422
    context = {
        "form": form,
        "dataset": ds,
        "reviews": list(selectors.reviews_of(ds)),
        "review_due": selectors.review_due(ds),
        "today": timezone.localdate(),
    }
    return render(request, "opendata/review_form.html", context, status=status)


@login_required
@require_POST
def datastore_load(request: AuthedRequest, name: str, resource_id: UUID) -> HttpResponse:
    """Load the table again, with the column types the editor chose."""
    user = official_or_404(request)
    ds, res = _resource(request, name, resource_id)
    if not permissions.edits(user, ds.organization.agency):
        raise PermissionDenied(_("Bạn không có quyền nạp lại bảng dữ liệu này."))
    store = selectors.datastore_get_for_user(user=user, resource_id=str(res.pk))
    fields = store.fields if store is not None else []
    current = {f["id"]: f["type"] for f in fields}
    form = ReloadForm(request.POST, columns=list(current.items()), auto_id="reload-%s")
    status = 422
    if form.is_valid():
        overrides = dict(store.overrides or {}) if store is not None else {}
        try:
            services.datastore_load(actor=user, resource=res, types=form.types(current, overrides))
        except PermissionDenied:
            raise
        except ApplicationError as exc:
            show_error(form, exc, aliases=form.aliases())
            status = exc.status
        else:
            messages.success(request, _("Đã xếp lịch nạp lại bảng dữ liệu."))
            return redirect(_resource_url(ds, res.pk))
    context = _resource_context(request, ds, res, reload_form=form)
    return render(request, "opendata/resource.html", context, status=status)
