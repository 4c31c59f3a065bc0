"""Pages of the open-data portal: the home page, search with facets, a dataset with its
versions, a resource with its table preview and load report, publishers, themes and the
open-data list for everyone; the publishers' dashboard, forms, uploads, reviews and
reloads for those who may — each refused without a change to anyone else."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from thudo.core.models import AuditEvent
from thudo.core.tests.factories import citizen
from thudo.opendata import services
from thudo.opendata.contracts import DatastoreStatus
from thudo.opendata.models import Dataset, DatasetVersion, Datastore, Resource, Review
from thudo.opendata.tests import factories
from thudo.opendata.tests.factories import Portal, dataset, population_csv, table

# The portal's fixtures, where pytest looks for them.
media = factories.media
portal = factories.portal

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
BASE = "/opendata"


def login(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def anonymous() -> Client:
    return Client(raise_request_exception=False)


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def titles(page: str) -> list[str]:
    """The dataset titles of a result list, in order."""
    return re.findall(r'<li class="od-item" id="ds-[^"]+"> <h3><a href="[^"]+">([^<]+)</a>', page)


def facet(page: str, name: str) -> dict[str, int]:
    """A facet's values (as shown) and counts."""
    block = re.search(rf'<ul class="od-facet" id="facet-{name}">(.*?)</ul>', page)
    assert block is not None, name
    return {
        label: int(n)
        for label, n in re.findall(
            r'<span class="od-facet-label">([^<]+)</span> <span class="od-count" data-count>(\d+)',
            block.group(1),
        )
    }


def resource_url(p: Portal, suffix: str = "") -> str:
    return f"{BASE}/dataset/dan-so-ha-noi/resource/{p.table.pk}/{suffix}"


def snapshot() -> tuple[Any, ...]:
    """Everything the publishers' pages could change."""
    return (
        sorted(Dataset.objects.values_list("name", "title", "state", "private", "revision")),
        Resource.objects.count(),
        sorted(Datastore.objects.values_list("resource_id", "status", "overrides")),
        Review.objects.count(),
        DatasetVersion.objects.count(),
        AuditEvent.objects.count(),
    )


# --- who gets the pages ----------------------------------------------------------------------


def test_public_pages_open_without_signing_in_and_publishers_pages_do_not(
    portal: Portal,
) -> None:
    p = portal
    client = anonymous()
    for page in (
        "/",
        "/dataset/",
        "/dataset/dan-so-ha-noi/",
        "/dataset/dan-so-ha-noi/version/1/",
        f"/dataset/dan-so-ha-noi/resource/{p.table.pk}/",
        "/organization/",
        "/organization/so-tu-phap/",
        "/group/",
        "/group/dan-cu/",
        "/danh-muc/",
    ):
        assert client.get(BASE + page).status_code == 200, page
    before = snapshot()
    for page in (
        "/quan-ly/",
        "/quan-ly/moi/",
        "/quan-ly/ho-tich-ha-noi/",
        "/quan-ly/ho-tich-ha-noi/tai-nguyen/",
        "/quan-ly/ho-tich-ha-noi/ra-soat/",
    ):
        for method in ("get", "post"):
            response = getattr(client, method)(BASE + page)
            assert response.status_code == 302, (page, method)
            assert response["Location"].startswith("/accounts/login/"), page
    response = client.post(resource_url(p, "").replace("/dataset/", "/quan-ly/") + "nap/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot() == before
    # Citizens are signed in, but the publishers' pages are not for them.
    person = login(citizen())
    assert person.get(f"{BASE}/quan-ly/").status_code == 404
    assert person.post(f"{BASE}/quan-ly/moi/", {"title": "X"}).status_code == 404
    assert snapshot() == before


def test_a_private_dataset_is_404_to_others_and_shown_to_its_editors(portal: Portal) -> None:
    p = portal
    url = f"{BASE}/dataset/dat-dai-noi-bo/"
    assert anonymous().get(url).status_code == 404
    assert login(p.outsider).get(url).status_code == 404
    assert titles(text(anonymous().get(f"{BASE}/dataset/?q=dat+dai"))) == []
    editor = login(p.editor)
    page = text(editor.get(url))
    assert "<h1>Đất đai Hà Nội nội bộ</h1>" in page
    assert '<span class="tag tag-private" id="badge-private">Nội bộ</span>' in page
    found = text(editor.get(f"{BASE}/dataset/?q=dat+dai"))
    assert titles(found) == ["Đất đai Hà Nội nội bộ"]
    assert '<span class="tag tag-private">Nội bộ</span>' in found
    # Drafts stay out of search, even for their editors: they are in the publisher's list.
    assert anonymous().get(f"{BASE}/dataset/ban-nhap-ho-tich/").status_code == 404
    assert editor.get(f"{BASE}/dataset/ban-nhap-ho-tich/").status_code == 200
    assert titles(text(editor.get(f"{BASE}/dataset/?q=ban+nhap"))) == []


def test_unknown_addresses_are_404(portal: Portal) -> None:
    p = portal
    client = anonymous()
    assert client.get(f"{BASE}/dataset/khong-co/").status_code == 404
    assert client.get(f"{BASE}/organization/khong-co/").status_code == 404
    assert client.get(f"{BASE}/group/khong-co/").status_code == 404
    assert client.get(f"{BASE}/dataset/dan-so-ha-noi/version/99/").status_code == 404
    # A resource of another dataset is not found under this one.
    assert client.get(f"{BASE}/dataset/tuyen-xe-buyt/resource/{p.table.pk}/").status_code == 404
    other = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"{BASE}/dataset/dan-so-ha-noi/resource/{other}/").status_code == 404


# --- home, search, facets ------------------------------------------------------------------


def test_the_home_page_shows_counts_themes_news_publishers_and_the_machine_doors(
    portal: Portal,
) -> None:
    page = text(anonymous().get(f"{BASE}/"))
    assert '<dd id="stat-datasets">3</dd>' in page
    assert '<dd id="stat-organizations">2</dd>' in page
    assert '<dd id="stat-resources">2</dd>' in page
    assert '<dd id="stat-datastore">1</dd>' in page
    assert '<form method="get" action="/opendata/dataset/" role="search"' in page
    assert (
        '<h3><a href="/opendata/group/dan-cu/">Dân cư</a></h3> <p class="od-meta">2 bộ dữ liệu</p>'
        in page
    )
    assert (
        '<a href="/opendata/group/giao-thong/">Giao thông</a></h3> <p class="od-meta">1 bộ' in page
    )
    recent = re.search(r'<ul class="od-list" id="recent">(.*?)</ul> <p>', page)
    assert recent is not None
    assert re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', recent.group(1)) == [
        "Tuyến xe buýt",
        "Đăng ký hộ tịch tại Hà Nội",
        "Dân số Hà Nội theo phường",
    ]
    assert (
        '<a href="/opendata/organization/ubnd-thanh-pho/">Ủy ban nhân dân Thành phố Hà Nội</a> '
        '<span class="od-count">2 bộ dữ liệu</span>'
    ) in page
    assert 'href="/opendata/danh-muc/"' in page
    assert (
        '<code id="api-example">GET http://testserver/opendata/api/3/action/package_search'
        "?q=ha+noi&amp;rows=5</code>"
    ) in page
    for fmt in ("ttl", "jsonld", "rdf"):
        assert f'href="/opendata/catalog.{fmt}"' in page


def test_search_without_accents_finds_titles_with_them(portal: Portal) -> None:
    page = text(anonymous().get(f"{BASE}/dataset/?q=ha+noi"))
    assert '<h2 id="results-h">3 bộ dữ liệu khớp “ha noi”</h2>' in page
    found = titles(page)
    # Titles with the words first; the buses match by their publisher's name.
    assert sorted(found[:2]) == ["Dân số Hà Nội theo phường", "Đăng ký hộ tịch tại Hà Nội"]
    assert found[2] == "Tuyến xe buýt"
    assert 'value="ha noi"' in page
    assert titles(text(anonymous().get(f"{BASE}/dataset/?q=tuyen+xe+buyt"))) == ["Tuyến xe buýt"]
    # Notes are summarised on one line, formats shown as badges.
    assert (
        '<p class="od-summary">Dân số từng phường của Thành phố Hà Nội. Số liệu năm 2025.</p>'
        in page
    )
    assert '<li class="format" data-format="CSV">CSV</li>' in page
    assert '<li class="format" data-format="JSON">JSON</li>' in page


def test_facets_count_values_show_titles_and_filter_when_chosen(portal: Portal) -> None:
    client = anonymous()
    page = text(client.get(f"{BASE}/dataset/"))
    assert titles(page) == [
        "Tuyến xe buýt",
        "Đăng ký hộ tịch tại Hà Nội",
        "Dân số Hà Nội theo phường",
    ]
    assert facet(page, "organization") == {
        "Ủy ban nhân dân Thành phố Hà Nội": 2,
        "Sở Tư pháp": 1,
    }
    assert facet(page, "groups") == {"Dân cư": 2, "Giao thông": 1}
    assert facet(page, "tags") == {"dân số": 2, "giao thông": 1, "hộ tịch": 1, "thống kê": 1}
    assert facet(page, "res_format") == {"CSV": 1, "JSON": 1}
    assert facet(page, "license_id") == {
        "Creative Commons Attribution 4.0": 2,
        "Creative Commons CCZero": 1,
    }
    assert 'href="/opendata/dataset/?groups=dan-cu"' in page

    chosen = text(client.get(f"{BASE}/dataset/?groups=dan-cu&tags=d%C3%A2n+s%E1%BB%91"))
    assert sorted(titles(chosen)) == ["Dân số Hà Nội theo phường", "Đăng ký hộ tịch tại Hà Nội"]
    assert facet(chosen, "groups") == {"Dân cư": 2}
    assert facet(chosen, "organization") == {
        "Ủy ban nhân dân Thành phố Hà Nội": 1,
        "Sở Tư pháp": 1,
    }
    # A chosen value is marked and its link removes it; so do the active-filter chips.
    assert (
        '<a href="/opendata/dataset/?tags=d%C3%A2n+s%E1%BB%91" '
        'hx-get="/opendata/dataset/?tags=d%C3%A2n+s%E1%BB%91" class="od-facet-link is-active" '
        'data-value="dan-cu" aria-current="true">'
    ) in chosen
    assert 'Chủ đề: Dân cư <span aria-hidden="true">×</span>' in chosen
    assert "Từ khóa: dân số" in chosen
    # The search form keeps the filters for the next keywords.
    assert '<input type="hidden" name="groups" value="dan-cu">' in chosen

    one = text(client.get(f"{BASE}/dataset/?organization=so-tu-phap&q=ha+noi"))
    assert titles(one) == ["Đăng ký hộ tịch tại Hà Nội"]


def test_the_list_is_paged_by_twenty_and_sorted_as_asked(portal: Portal) -> None:
    for n in range(1, 23):
        dataset(portal.committee, f"bo-{n:02d}", f"Bộ số {n:02d}", tags=["lô"])
    client = anonymous()
    first = text(client.get(f"{BASE}/dataset/?tags=l%C3%B4&sort=title_string+asc"))
    assert '<h2 id="results-h">22 bộ dữ liệu</h2>' in first
    assert titles(first) == [f"Bộ số {n:02d}" for n in range(1, 21)]
    assert "Trang 1/2 (bộ dữ liệu 1–20)" in first
    assert 'href="/opendata/dataset/?tags=l%C3%B4&amp;sort=title_string+asc&amp;page=2"' in first
    second = text(client.get(f"{BASE}/dataset/?tags=l%C3%B4&sort=title_string+asc&page=2"))
    assert titles(second) == ["Bộ số 21", "Bộ số 22"]
    assert '<ol class="od-list" id="dataset-results" start="21">' in second
    newest = text(client.get(f"{BASE}/dataset/?tags=l%C3%B4&sort=metadata_created+desc"))
    assert titles(newest)[:2] == ["Bộ số 22", "Bộ số 21"]
    assert '<option value="metadata_created desc" selected>Mới tạo</option>' in newest


def test_bad_parameters_get_a_message_not_an_error_page(portal: Portal) -> None:
    client = anonymous()
    response = client.get(f"{BASE}/dataset/?sort=drop+table")
    assert response.status_code == 400
    assert (
        '<p class="notice notice-error" role="alert" id="search-error">Không tìm được với yêu '
        "cầu này: Không có cách sắp xếp “drop table”.</p>"
    ) in text(response)
    response = client.get(f"{BASE}/dataset/?page=0")
    assert response.status_code == 400
    assert "Số trang phải từ 1 trở lên." in text(response)
    # An unclosed quote in free text is punctuation: the search runs.
    assert client.get(f"{BASE}/dataset/?q=%22ha+noi").status_code == 200
    response = client.get(f"{BASE}/dataset/?q=secret:x")
    assert response.status_code == 422
    assert "Không lọc được theo trường “secret”" in text(response)
    # htmx swaps only 2xx answers: the fragment carries the message with 200.
    response = client.get(f"{BASE}/dataset/?sort=drop+table", headers=HTMX)
    assert response.status_code == 200
    assert "Không có cách sắp xếp “drop table”." in text(response)


def test_htmx_gets_the_results_fragment_with_the_filters_for_the_form(portal: Portal) -> None:
    response = anonymous().get(f"{BASE}/dataset/?q=ha+noi&groups=dan-cu", headers=HTMX)
    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page and "<form" not in page
    assert page.strip().startswith('<div id="dataset-search" class="od-search-layout"')
    assert sorted(titles(page)) == ["Dân số Hà Nội theo phường", "Đăng ký hộ tịch tại Hà Nội"]
    assert (
        '<div id="dataset-filters" hx-swap-oob="true"><input type="hidden" name="groups" '
        'value="dan-cu"></div>'
    ) in page


def test_the_list_page_needs_the_same_queries_for_three_datasets_or_twenty(
    portal: Portal, django_assert_max_num_queries: Any
) -> None:
    client = anonymous()
    with django_assert_max_num_queries(12):
        assert client.get(f"{BASE}/dataset/").status_code == 200
    for n in range(1, 21):
        dataset(
            portal.committee,
            f"bo-{n:02d}",
            f"Bộ số {n:02d}",
            tags=[f"t{n}"],
            groups=[{"name": "dan-cu"}],
            resources=[{"url": f"https://example.org/{n}.csv"}],
        )
    with django_assert_max_num_queries(12):
        page = text(client.get(f"{BASE}/dataset/"))
    assert len(titles(page)) == 20


# --- a dataset and its versions -------------------------------------------------------------


def test_the_dataset_page_shows_its_record_resources_and_machine_links(portal: Portal) -> None:
    p = portal
    page = text(anonymous().get(f"{BASE}/dataset/dan-so-ha-noi/"))
    assert "<h1>Dân số Hà Nội theo phường</h1>" in page
    assert (
        '<div class="od-notes" id="notes">Dân số từng phường của Thành phố Hà Nội.<br>'
        "Số liệu năm 2025.</div>"
    ) in page
    assert (
        '<dd><a href="/opendata/organization/ubnd-thanh-pho/">'
        "Ủy ban nhân dân Thành phố Hà Nội</a></dd>"
    ) in page
    assert '<a href="/opendata/group/dan-cu/">Dân cư</a>' in page
    assert '<a class="tag" href="/opendata/dataset/?tags=d%C3%A2n%20s%E1%BB%91">dân số</a>' in page
    assert (
        '<dd id="license"><a href="https://creativecommons.org/licenses/by/4.0/" '
        'rel="license noopener">Creative Commons Attribution 4.0</a></dd>'
    ) in page
    assert '<dd id="frequency">Hằng năm</dd>' in page
    assert '<dd id="spatial">Thành phố Hà Nội <span class="mono">(01)</span></dd>' in page
    assert (
        '<dd id="contact">Phòng Thống kê<br><a href="mailto:thongke@hanoi.gov.vn">'
        "thongke@hanoi.gov.vn</a></dd>"
    ) in page
    p.population.refresh_from_db()
    assert f'<dd id="revision">r{p.population.revision}</dd>' in page
    # The resource: format, size, download from its record, its page.
    resource = re.search(rf'<li class="od-resource" id="res-{p.table.pk}">(.*?)</li>', page)
    assert resource is not None
    block = resource.group(1)
    assert '<span class="format" data-format="CSV">CSV</span>' in block
    assert (
        f'<a href="/opendata/dataset/dan-so-ha-noi/resource/{p.table.pk}/">Dân số 2025</a>' in block
    )
    assert f"{(p.table.size or 0) / 1024:.1f}".replace(".", ",") + " KB" in block
    download = (
        f"http://127.0.0.1:8000/opendata/dataset/{p.population.pk}/resource/{p.table.pk}"
        "/download/dan-so.csv"
    )
    assert f'<a href="{download}" rel="nofollow">Tải về' in block
    assert "xem trước và tra cứu được" in block
    # Decree 47: in the list, never reviewed, due six months after creation.
    due = (timezone.localtime(p.population.created_at).date() + dt.timedelta(days=183)).strftime(
        "%d/%m/%Y"
    )
    assert '<dd id="last-reviewed">Chưa rà soát</dd>' in page
    assert f">{due}</time></dd>" in page
    assert '<span class="tag tag-listed" id="badge-listed">Thuộc danh mục dữ liệu mở</span>' in page
    assert (
        '<code id="api-package-show">GET http://testserver/opendata/api/3/action/package_show'
        "?id=dan-so-ha-noi</code>"
    ) in page
    assert (
        '<code class="api-datastore">GET http://testserver/opendata/api/3/action/'
        f"datastore_search?resource_id={p.table.pk}&amp;limit=5</code>"
    ) in page
    for fmt in ("ttl", "jsonld", "rdf"):
        assert f'href="/opendata/dataset/dan-so-ha-noi.{fmt}"' in page
    # Every revision is listed, the older ones linked to their pages.
    assert f'href="/opendata/dataset/dan-so-ha-noi/version/{p.population.revision - 1}/"' in page
    assert 'href="/opendata/dataset/dan-so-ha-noi/version/1/">r1</a>' in page
    # Nobody anonymous is shown a button.
    assert 'id="dataset-actions"' not in page


def test_notes_are_plain_text_never_markup(portal: Portal) -> None:
    dataset(
        portal.committee,
        "ghi-chu",
        "Ghi chú <b>đậm</b>",
        notes="**Không** phải Markdown\n<script>alert(1)</script>",
    )
    page = text(anonymous().get(f"{BASE}/dataset/ghi-chu/"))
    assert "<h1>Ghi chú &lt;b&gt;đậm&lt;/b&gt;</h1>" in page
    assert (
        '<div class="od-notes" id="notes">**Không** phải Markdown<br>'
        "&lt;script&gt;alert(1)&lt;/script&gt;</div>"
    ) in page
    assert "<script>alert" not in page


def test_buttons_follow_what_each_official_may_do(portal: Portal) -> None:
    p = portal
    url = f"{BASE}/dataset/ho-tich-ha-noi/"
    editor = text(login(p.editor).get(url))
    assert 'href="/opendata/quan-ly/ho-tich-ha-noi/">Sửa bộ dữ liệu</a>' in editor
    assert 'href="/opendata/quan-ly/ho-tich-ha-noi/tai-nguyen/">Thêm tài nguyên</a>' in editor
    assert "Rà soát danh mục</a>" not in editor
    leader = text(login(p.leader).get(url))
    assert 'href="/opendata/quan-ly/ho-tich-ha-noi/ra-soat/">Rà soát danh mục</a>' in leader
    outsider = text(login(p.outsider).get(url))
    assert 'id="dataset-actions"' not in outsider
    # The committee's dataset is not the Department of Justice's to change.
    assert 'id="dataset-actions"' not in text(login(p.editor).get(f"{BASE}/dataset/dan-so-ha-noi/"))


def test_an_indicator_dataset_shows_its_lineage(portal: Portal) -> None:
    ds = dataset(portal.committee, "chi-so-ho-ngheo", "Tỷ lệ hộ nghèo")
    Dataset.objects.filter(pk=ds.pk).update(
        lineage={
            "source": "reporting",
            "indicator": "HN-01",
            "definition": "100 × (ho_ngheo) / (tong_ho)",
            "unit": "%",
            "forms": ["BM-01", "BM-02"],
            "approved_values": 12,
            "measured_values": 0,
            "digest": "abc",
        }
    )
    page = text(anonymous().get(f"{BASE}/dataset/chi-so-ho-ngheo/"))
    assert (
        '<dl class="facts" id="lineage"> <dt>Mã chỉ số</dt><dd>HN-01</dd>'
        "<dt>Công thức</dt><dd>100 × (ho_ngheo) / (tong_ho)</dd><dt>Đơn vị tính</dt><dd>%</dd>"
        "<dt>Biểu mẫu nguồn</dt><dd>BM-01, BM-02</dd><dt>Số giá trị đã phê duyệt</dt><dd>12</dd>"
        "<dt>Số giá trị đo từ nền tảng</dt><dd>0</dd> </dl>"
    ) in page
    assert "abc" not in page


def test_an_old_version_is_shown_read_only_with_a_way_back(portal: Portal) -> None:
    p = portal
    services.dataset_patch(
        actor=None, dataset=p.civil, data={"title": "Hộ tịch Hà Nội (sửa)", "notes": "Mới."}
    )
    p.civil.refresh_from_db()
    assert p.civil.revision == 2
    client = login(p.leader)
    page = text(client.get(f"{BASE}/dataset/ho-tich-ha-noi/version/1/"))
    assert (
        '<p class="notice notice-old" role="note" id="old-version">Phiên bản cũ r1 — '
        '<a href="/opendata/dataset/ho-tich-ha-noi/">xem bản hiện hành</a>'
    ) in page
    assert "<h1>Đăng ký hộ tịch tại Hà Nội</h1>" in page
    assert '<div class="od-notes" id="notes">Khai sinh, kết hôn theo tháng.</div>' in page
    assert '<dd id="revision">r1</dd>' in page
    assert 'id="dataset-actions"' not in page  # nothing to edit in the past
    assert 'href="/opendata/dataset/ho-tich-ha-noi/version/1/" aria-current="page">r1</a>' in page
    current = text(client.get(f"{BASE}/dataset/ho-tich-ha-noi/"))
    assert "<h1>Hộ tịch Hà Nội (sửa)</h1>" in current
    assert "Phiên bản cũ" not in current
    response = client.get(f"{BASE}/dataset/ho-tich-ha-noi/version/2/")
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/dataset/ho-tich-ha-noi/"


# --- a resource: preview, load state, errors, reload -----------------------------------------


def test_the_preview_shows_fifty_rows_a_page_and_pages_by_htmx(portal: Portal) -> None:
    p = portal
    client = anonymous()
    page = text(client.get(resource_url(p)))
    assert '<caption id="preview-caption">Dòng 1–50 trong 120</caption>' in page
    assert (
        '<td class="num">1</td><td>00001</td><td>Phường số 1</td><td class="num">1001</td>' in page
    )
    assert "<td>00050</td>" in page and "<td>00051</td>" not in page
    assert '<span id="preview-page">Trang 1/3</span>' in page
    preview = f"{BASE}/dataset/dan-so-ha-noi/resource/{p.table.pk}/preview"
    assert f'hx-get="{preview}?page=2"' in page

    response = client.get(f"{preview}?page=2", headers=HTMX)
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.strip().startswith('<div id="preview" class="od-preview">')
    assert "<html" not in fragment
    assert '<caption id="preview-caption">Dòng 51–100 trong 120</caption>' in fragment
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>(\d+)</td>', fragment)
    assert rows[0] == ("51", "00051") and rows[-1] == ("100", "00100") and len(rows) == 50
    assert f'href="{resource_url(p)}?page=1"' not in fragment
    assert f'hx-get="{preview}" hx-push-url="{resource_url(p)}" rel="prev"' in fragment
    assert f'hx-get="{preview}?page=3"' in fragment

    last = text(client.get(f"{resource_url(p)}?page=3"))
    assert '<caption id="preview-caption">Dòng 101–120 trong 120</caption>' in last
    assert 'id="preview-next"' not in last
    beyond = text(client.get(f"{resource_url(p)}?page=9"))
    assert "Trang này không có dòng nào; bảng có 120 dòng" in beyond
    assert 'id="preview-prev"' in beyond
    # Without htmx the fragment's address is the page's.
    response = client.get(f"{preview}?page=2")
    assert response.status_code == 302
    assert response["Location"] == f"{resource_url(p)}?page=2"


def test_the_preview_searches_the_table(portal: Portal) -> None:
    p = portal
    preview = f"{BASE}/dataset/dan-so-ha-noi/resource/{p.table.pk}/preview"
    fragment = text(anonymous().get(f"{preview}?q=phuong+so+7", headers=HTMX))
    assert "Dòng 1–1 trong 1 — khớp “phuong so 7”" in fragment
    assert re.findall(r"<td>(\d{5})</td>", fragment) == ["00007"]
    empty = text(anonymous().get(f"{preview}?q=khong+co", headers=HTMX))
    assert "Không có dòng nào khớp." in empty


def test_the_fields_types_and_the_row_error_report_are_shown(portal: Portal) -> None:
    page = text(anonymous().get(resource_url(portal)))
    assert '<strong class="tag" data-status="complete">Đã nạp</strong> 120 dòng' in page
    assert "<summary>3 cột và kiểu dữ liệu</summary>" in page
    assert (
        '<tr><th scope="row">Mã phường</th><td>Chuỗi ký tự</td></tr><tr><th scope="row">Tên phường'
        '</th><td>Chuỗi ký tự</td></tr><tr><th scope="row">Dân số</th><td>Số nguyên</td></tr>'
    ) in page
    assert "<summary>1 lỗi: các dòng có lỗi không được nạp vào bảng</summary>" in page
    assert (
        '<tr><td class="num">122</td><td>—</td><td class="mono">00999;Dòng thiếu</td>'
        "<td>Dòng 122: có 2 cột, tiêu đề có 3 cột.</td></tr>"
    ) in page


def test_a_long_error_report_shows_the_first_thousand_and_says_so(portal: Portal) -> None:
    p = portal
    rows = "\r\n".join(f"{n};x{n}" for n in range(1, 1101))
    content = ("Mã;Số\r\n1;2\r\n" + rows + "\r\n").encode()
    res = table(p.buses, content, filename="so.csv", name="Số", types={"Số": "int"})
    store = Datastore.objects.get(resource=res)
    assert store.error_count == 1100 and len(store.errors) == 1000
    page = text(anonymous().get(f"{BASE}/dataset/tuyen-xe-buyt/resource/{res.pk}/"))
    assert "<summary>1.100 lỗi: các dòng có lỗi không được nạp vào bảng</summary>" in page
    assert '<p class="help">Hiện 1.000 lỗi đầu tiên.</p>' in page
    assert '<tr><td class="num">3</td><td>Số</td><td class="mono">x1</td>' in page
    assert page.count('<td class="mono">x') == 1000


def test_an_upload_is_queued_shown_in_progress_and_polled_until_loaded(portal: Portal) -> None:
    p = portal
    editor = login(p.editor)
    before = Resource.objects.count()
    response = editor.post(
        f"{BASE}/quan-ly/ho-tich-ha-noi/tai-nguyen/",
        {
            "name": "Khai sinh 2025",
            "file": SimpleUploadedFile("khai-sinh.csv", population_csv(60, ragged=False)),
        },
    )
    assert response.status_code == 302
    res = Resource.objects.get(name="Khai sinh 2025")
    assert Resource.objects.count() == before + 1
    url = f"{BASE}/dataset/ho-tich-ha-noi/resource/{res.pk}/"
    assert response["Location"] == url
    page = text(editor.get(url))
    assert "Đã thêm tài nguyên “Khai sinh 2025”." in page
    progress = f"{BASE}/quan-ly/ho-tich-ha-noi/resource/{res.pk}/tien-do"
    assert (
        f'<section id="datastore" class="od-datastore" aria-labelledby="datastore-h" '
        f'hx-get="{progress}" hx-trigger="every 2s" hx-swap="outerHTML">'
    ) in page
    assert '<strong class="tag" data-status="pending">Đang chờ nạp</strong>' in page
    assert "Nạp lại bảng</button>" not in page  # not while a load is waiting

    # Anyone reading the dataset may poll; the fragment says how far the load got.
    Datastore.objects.filter(resource=res).update(
        status=DatastoreStatus.RUNNING, rows_done=20, rows_total=60
    )
    fragment = text(anonymous().get(progress, headers=HTMX))
    assert fragment.strip().startswith('<section id="datastore"')
    assert "Đã ghi 20 / 60 dòng." in fragment
    assert '<progress id="load-progress" max="60" value="20"' in fragment
    assert 'hx-trigger="every 2s"' in fragment
    assert services.datastore_load_run(actor=None, resource_id=str(res.pk)) == "complete"
    done = text(anonymous().get(progress, headers=HTMX))
    assert 'hx-trigger="every 2s"' not in done
    assert '<strong class="tag" data-status="complete">Đã nạp</strong> 60 dòng' in done
    assert '<caption id="preview-caption">Dòng 1–50 trong 60</caption>' in done
    # Without htmx the progress address is the resource page.
    response = anonymous().get(progress)
    assert response.status_code == 302 and response["Location"] == url


def test_a_failed_load_says_why(portal: Portal) -> None:
    p = portal
    res = services.resource_create(
        actor=None, dataset=p.buses, data={"name": "Hỏng"}, upload=("hong.csv", b"")
    )
    assert services.datastore_load_run(actor=None, resource_id=str(res.pk)) == "error"
    page = text(anonymous().get(f"{BASE}/dataset/tuyen-xe-buyt/resource/{res.pk}/"))
    assert '<strong class="tag" data-status="error">Nạp không thành công</strong>' in page
    store = Datastore.objects.get(resource=res)
    assert f'<p class="notice notice-error" id="load-error">{store.message}' in page
    assert 'id="preview"' not in page


def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(
    portal: Portal, settings: Any, media: Path
) -> None:
    settings.OPENDATA_MAX_UPLOAD_BYTES = 100
    before = snapshot()
    response = login(portal.editor).post(
        f"{BASE}/quan-ly/ho-tich-ha-noi/tai-nguyen/",
        {"name": "Quá lớn", "file": SimpleUploadedFile("lon.csv", b"a;b\r\n" + b"1;2\r\n" * 50)},
    )
    assert response.status_code == 422
    page = text(response)
    assert (
        '<p class="field-error" id="resource-file_error"><span class="visually-hidden">Lỗi:'
        "</span> Tệp lớn hơn giới hạn 9.54e-05 MB.</p>"
    ) in page
    assert (
        'aria-describedby="resource-file_helptext resource-file_error" aria-invalid="true"' in page
    )
    assert snapshot() == before
    assert not any(media.rglob("lon*"))


def test_a_resource_needs_a_file_or_a_link(portal: Portal) -> None:
    before = snapshot()
    response = login(portal.editor).post(
        f"{BASE}/quan-ly/ho-tich-ha-noi/tai-nguyen/", {"name": "Trống"}
    )
    assert response.status_code == 422
    assert "Chọn một tệp để tải lên hoặc nhập đường dẫn." in text(response)
    response = login(portal.editor).post(
        f"{BASE}/quan-ly/ho-tich-ha-noi/tai-nguyen/", {"url": "ftp//sai"}
    )
    assert response.status_code == 422
    assert (
        '<p class="field-error" id="resource-url_error"><span class="visually-hidden">Lỗi:</span>'
        " Địa chỉ web không hợp lệ.</p>"
    ) in text(response)
    assert snapshot() == before
    response = login(portal.editor).post(
        f"{BASE}/quan-ly/ho-tich-ha-noi/tai-nguyen/",
        {"url": "https://example.org/khai-sinh.xlsx", "name": "Khai sinh"},
    )
    assert response.status_code == 302
    assert Resource.objects.get(name="Khai sinh").format == "XLSX"


def test_an_editor_reloads_the_table_with_other_column_types(portal: Portal) -> None:
    p = portal
    url = resource_url(p)
    assert "Nạp lại bảng</button>" not in text(anonymous().get(url))
    assert "Nạp lại bảng</button>" not in text(login(p.editor).get(url))  # not their agency
    committee = login(p.city.city_leader)
    page = text(committee.get(url))
    assert '<label for="reload-type_0">Mã phường</label>' in page
    assert '<option value="text" selected>Chuỗi ký tự (text)</option>' in page
    load = url.replace("/dataset/", "/quan-ly/") + "nap/"

    before = snapshot()
    response = committee.post(load, {"type_0": "xml", "type_1": "text", "type_2": "int"})
    assert response.status_code == 422
    assert "Hãy chọn một lựa chọn hợp lệ" in text(response)
    assert login(p.editor).post(load, {"type_0": "int"}).status_code == 403
    assert snapshot() == before

    response = committee.post(load, {"type_0": "int", "type_1": "text", "type_2": "int"})
    assert response.status_code == 302 and response["Location"] == url
    store = Datastore.objects.get(resource=p.table)
    assert store.overrides == {"Mã phường": "int"}
    assert store.status == DatastoreStatus.PENDING
    assert services.datastore_load_run(actor=None, resource_id=str(p.table.pk)) == "complete"
    page = text(committee.get(url))
    assert '<tr><th scope="row">Mã phường</th><td>Số nguyên</td></tr>' in page
    assert '<td class="num">1</td><td class="num">1</td><td>Phường số 1</td>' in page
    # The override is kept when the form is sent again unchanged.
    committee.post(load, {"type_0": "int", "type_1": "text", "type_2": "int"})
    assert Datastore.objects.get(resource=p.table).overrides == {"Mã phường": "int"}


# --- publishers, themes, the open-data list -------------------------------------------------


def test_a_publishers_page_lists_its_datasets_only(portal: Portal) -> None:
    page = text(anonymous().get(f"{BASE}/organization/ubnd-thanh-pho/"))
    assert "<h1>Ủy ban nhân dân Thành phố Hà Nội</h1>" in page
    assert titles(page) == ["Tuyến xe buýt", "Dân số Hà Nội theo phường"]
    assert 'id="facet-organization"' not in page
    assert facet(page, "groups") == {"Dân cư": 1, "Giao thông": 1}
    assert 'href="/opendata/organization/ubnd-thanh-pho/?groups=dan-cu"' in page
    narrowed = text(anonymous().get(f"{BASE}/organization/ubnd-thanh-pho/?q=xe+buyt"))
    assert titles(narrowed) == ["Tuyến xe buýt"]
    listing = text(anonymous().get(f"{BASE}/organization/"))
    assert (
        '<h2><a href="/opendata/organization/so-tu-phap/">Sở Tư pháp</a></h2> '
        '<p class="od-meta">1 bộ dữ liệu</p>'
    ) in listing


def test_a_themes_page_lists_its_datasets(portal: Portal) -> None:
    page = text(anonymous().get(f"{BASE}/group/dan-cu/"))
    assert "<h1>Dân cư</h1>" in page
    assert sorted(titles(page)) == ["Dân số Hà Nội theo phường", "Đăng ký hộ tịch tại Hà Nội"]
    assert 'id="facet-groups"' not in page
    listing = text(anonymous().get(f"{BASE}/group/"))
    assert (
        '<h2><a href="/opendata/group/dan-cu/">Dân cư</a></h2> <p class="od-meta" lang="en">'
        'Population</p> <p class="od-meta">2 bộ dữ liệu</p>'
    ) in listing


def test_the_open_data_list_shows_each_publishers_entries_and_their_dates(
    portal: Portal,
) -> None:
    p = portal
    Dataset.objects.filter(pk=p.civil.pk).update(reviewed_on=dt.date(2025, 1, 15))
    page = text(anonymous().get(f"{BASE}/danh-muc/"))
    assert "2 bộ dữ liệu trong danh mục." in page
    assert re.findall(r'<h2 id="list-[^"]+-h"><a href="[^"]+">([^<]+)</a></h2>', page) == [
        "Sở Tư pháp",
        "Ủy ban nhân dân Thành phố Hà Nội",
    ]
    civil = re.search(r'<tr id="entry-ho-tich-ha-noi">(.*?)</tr>', page)
    assert civil is not None
    assert (
        '<td>—</td> <td><time datetime="2025-01-15">15/01/2025</time></td> '
        '<td><time datetime="2025-07-17">17/07/2025</time> '
        '<span class="tag tag-overdue">Quá hạn</span></td>'
    ) in civil.group(1)
    population = re.search(r'<tr id="entry-dan-so-ha-noi">(.*?)</tr>', page)
    assert population is not None
    assert "<td>Hằng năm</td> <td>Chưa rà soát</td>" in population.group(1)
    assert "dat-dai-noi-bo" not in page
    # The department's editors see their entry that is not public yet.
    own = text(login(p.editor).get(f"{BASE}/danh-muc/"))
    assert (
        '<a href="/opendata/dataset/dat-dai-noi-bo/">Đất đai Hà Nội nội bộ</a> '
        '<span class="tag tag-draft">chưa công bố</span>'
    ) in own


# --- the publishers' pages ------------------------------------------------------------------


def test_manage_lists_the_officials_datasets_drafts_too(portal: Portal) -> None:
    page = text(login(portal.editor).get(f"{BASE}/quan-ly/"))
    mine = re.findall(r'<tr id="mine-([^"]+)">', page)
    assert sorted(mine) == ["ban-nhap-ho-tich", "dat-dai-noi-bo", "ho-tich-ha-noi"]
    draft = re.search(r'<tr id="mine-ban-nhap-ho-tich">(.*?)</tr>', page)
    assert draft is not None
    assert '<span class="tag tag-draft" data-state="draft">Bản nháp</span>' in draft.group(1)
    private = re.search(r'<tr id="mine-dat-dai-noi-bo">(.*?)</tr>', page)
    assert private is not None
    assert '<span class="tag tag-private" data-state="active">Nội bộ</span>' in private.group(1)
    assert '<dd id="count-total">3</dd>' in page
    assert '<dd id="count-draft">1</dd>' in page
    assert '<dd id="count-private">1</dd>' in page
    assert '<dd id="count-public">1</dd>' in page
    assert '<dd id="count-listed">2</dd>' in page
    assert 'href="/opendata/quan-ly/moi/" id="new-dataset"' in page
    assert "Không có bộ dữ liệu nào quá hạn rà soát hay cập nhật." in page
    # An official of another agency keeps none of them.
    other = text(login(portal.outsider).get(f"{BASE}/quan-ly/"))
    assert re.findall(r'<tr id="mine-([^"]+)">', other) == []
    assert 'id="new-dataset"' not in other


def test_the_dashboard_lists_datasets_overdue_for_review_and_update(portal: Portal) -> None:
    p = portal
    long_ago = timezone.now() - dt.timedelta(days=213)
    Dataset.objects.filter(pk=p.civil.pk).update(
        created_at=long_ago, reviewed_on=None, data_updated_at=None
    )
    page = text(login(p.leader).get(f"{BASE}/quan-ly/"))
    assert '<dd id="count-review-late">1</dd>' in page
    assert '<div class="is-late"><dt>Quá hạn cập nhật</dt><dd id="count-update-late">1</dd>' in page
    row = re.search(r'<tr id="overdue-ho-tich-ha-noi">(.*?)</tr>', page)
    assert row is not None
    created = timezone.localtime(long_ago).date()
    review = (created + dt.timedelta(days=183)).strftime("%d/%m/%Y")
    update = (created + dt.timedelta(days=92)).strftime("%d/%m/%Y")
    assert (
        f'{review}</time> <span class="tag tag-overdue" data-late="review">Quá hạn rà soát</span>'
    ) in row.group(1)
    assert (
        f'{update}</time> <span class="tag tag-overdue" data-late="update">Quá hạn cập nhật</span>'
    ) in row.group(1)
    assert 'href="/opendata/quan-ly/ho-tich-ha-noi/ra-soat/">Rà soát' in row.group(1)
    assert re.findall(r'<tr id="overdue-([^"]+)">', page) == ["ho-tich-ha-noi"]


def test_an_editor_creates_a_draft_with_a_name_from_its_title(portal: Portal) -> None:
    p = portal
    editor = login(p.editor)
    form = text(editor.get(f"{BASE}/quan-ly/moi/"))
    assert '<option value="so-tu-phap" selected>Sở Tư pháp</option>' in form  # their only one
    assert "ubnd-thanh-pho" not in form  # not their agency
    assert '<option value="draft" selected>Bản nháp — chưa công bố</option>' in form
    assert '<label for="id_title">Tên bộ dữ liệu</label>' in form
    response = editor.post(
        f"{BASE}/quan-ly/moi/",
        {
            "title": "Chất lượng không khí Hà Nội",
            "name": "",
            "notes": "Chỉ số AQI theo giờ.",
            "owner_org": "so-tu-phap",
            "groups": ["dan-cu"],
            "tags": "không khí, môi trường",
            "license_id": "odc-by",
            "frequency": "daily",
            "temporal_start": "2025-01-01",
            "spatial": "01, 00004",
            "maintainer_email": "moitruong@hanoi.gov.vn",
            "state": "draft",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/dataset/chat-luong-khong-khi-ha-noi/"
    ds = Dataset.objects.get(name="chat-luong-khong-khi-ha-noi")
    assert (ds.state, ds.private, ds.license_id, ds.frequency) == (
        "draft",
        False,
        "odc-by",
        "daily",
    )
    assert ds.temporal_start == dt.date(2025, 1, 1)
    assert ds.spatial == ["01", "00004"]
    assert sorted(ds.tags.values_list("name", flat=True)) == ["không khí", "môi trường"]
    assert list(ds.groups.values_list("name", flat=True)) == ["dan-cu"]
    assert ds.creator == p.editor
    page = text(editor.get(response["Location"]))
    assert "Đã tạo bộ dữ liệu “Chất lượng không khí Hà Nội”." in page
    manage = text(editor.get(f"{BASE}/quan-ly/"))
    assert '<tr id="mine-chat-luong-khong-khi-ha-noi">' in manage


def test_the_form_shows_the_services_errors_on_their_fields_and_creates_nothing(
    portal: Portal,
) -> None:
    before = snapshot()
    response = login(portal.editor).post(
        f"{BASE}/quan-ly/moi/",
        {
            "title": "Hộ tịch",
            "name": "ho-tich-ha-noi",
            "owner_org": "so-tu-phap",
            "license_id": "cc-by-4.0",
            "maintainer_email": "khong-phai-thu",
            "spatial": "99999",
            "state": "draft",
        },
    )
    assert response.status_code == 422
    page = text(response)
    assert (
        '<p class="field-error" id="id_name_error"><span class="visually-hidden">Lỗi:</span> '
        "Tên định danh này đã được dùng.</p>"
    ) in page
    assert (
        '<p class="field-error" id="id_maintainer_email_error"><span class="visually-hidden">'
        "Lỗi:</span> Địa chỉ thư điện tử không hợp lệ.</p>"
    ) in page
    assert "Không có đơn vị hành chính mã 99999." in page
    assert 'aria-invalid="true" aria-describedby="id_maintainer_email_error"' in page
    assert '<div class="error-summary" role="alert" tabindex="-1">' in page
    assert 'value="khong-phai-thu"' in page  # what was typed is kept
    assert snapshot() == before


def test_an_editor_may_not_publish_and_is_told_so_on_the_form(portal: Portal) -> None:
    before = snapshot()
    response = login(portal.editor).post(
        f"{BASE}/quan-ly/moi/",
        {
            "title": "Công khai",
            "owner_org": "so-tu-phap",
            "license_id": "cc-by-4.0",
            "state": "active",
        },
    )
    assert response.status_code == 403
    assert "Chỉ lãnh đạo hoặc quản trị của cơ quan được công bố dữ liệu ra công khai." in text(
        response
    )
    assert 'value="cong-khai"' in text(response)
    assert snapshot() == before
    # Another agency's dataset is not theirs to edit; a missing organisation is refused.
    assert login(portal.editor).get(f"{BASE}/quan-ly/dan-so-ha-noi/").status_code == 403
    assert login(portal.outsider).get(f"{BASE}/quan-ly/moi/").status_code == 403
    assert snapshot() == before


def test_editing_makes_a_new_revision_and_keeps_the_old_one(portal: Portal) -> None:
    p = portal
    editor = login(p.editor)
    form = text(editor.get(f"{BASE}/quan-ly/ho-tich-ha-noi/"))
    assert 'value="Đăng ký hộ tịch tại Hà Nội"' in form
    assert 'value="hộ tịch, dân số"' in form or 'value="dân số, hộ tịch"' in form
    assert '<option value="cc-zero" selected>Creative Commons CCZero</option>' in form
    assert 'name="in_open_data_list" id="id_in_open_data_list" checked' in form
    response = editor.post(
        f"{BASE}/quan-ly/ho-tich-ha-noi/",
        {
            "title": "Hộ tịch Hà Nội",
            "name": "",
            "notes": "Khai sinh, kết hôn, khai tử theo tháng.",
            "owner_org": "so-tu-phap",
            "groups": ["dan-cu"],
            "tags": "hộ tịch",
            "license_id": "cc-zero",
            "state": "active",
            "in_open_data_list": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/dataset/ho-tich-ha-noi/"
    ds = Dataset.objects.get(name="ho-tich-ha-noi")
    assert ds.title == "Hộ tịch Hà Nội" and ds.revision == 2
    assert list(ds.tags.values_list("name", flat=True)) == ["hộ tịch"]
    page = text(editor.get(response["Location"]))
    assert "Đã lưu bộ dữ liệu: phiên bản r2." in page
    old = text(editor.get(f"{BASE}/dataset/ho-tich-ha-noi/version/1/"))
    assert "<h1>Đăng ký hộ tịch tại Hà Nội</h1>" in old


def test_a_publisher_records_the_review_and_the_dates_move(portal: Portal) -> None:
    p = portal
    long_ago = timezone.now() - dt.timedelta(days=213)
    Dataset.objects.filter(pk=p.civil.pk).update(created_at=long_ago, reviewed_on=None)
    url = f"{BASE}/quan-ly/ho-tich-ha-noi/ra-soat/"
    before = snapshot()
    assert login(p.editor).get(url).status_code == 403
    assert login(p.editor).post(url, {"outcome": "kept"}).status_code == 403
    assert login(p.city.city_leader).post(url, {"outcome": "kept"}).status_code == 403
    assert snapshot() == before

    leader = login(p.leader)
    form = text(leader.get(url))
    assert '<span class="tag tag-overdue">Quá hạn</span>' in form
    assert '<label for="review-outcome_0">Giữ trong danh mục</label>' in form
    response = leader.post(url, {"outcome": "bogus"})
    assert response.status_code == 422
    assert snapshot() == before
    response = leader.post(url, {"outcome": "kept", "note": "Vẫn cần công khai."})
    assert response.status_code == 302 and response["Location"] == f"{BASE}/dataset/ho-tich-ha-noi/"
    today = timezone.localdate()
    ds = Dataset.objects.get(pk=p.civil.pk)
    assert ds.reviewed_on == today and ds.in_open_data_list
    review = Review.objects.get(dataset=ds)
    assert (review.outcome, review.note, review.reviewer) == (
        "kept",
        "Vẫn cần công khai.",
        p.leader,
    )
    page = text(leader.get(response["Location"]))
    assert "Đã ghi kết quả rà soát danh mục dữ liệu mở." in page
    assert (
        f'<dd id="last-reviewed"><time datetime="{today.isoformat()}">'
        f"{today.strftime('%d/%m/%Y')}</time></dd>"
    ) in page
    due = today + dt.timedelta(days=183)
    assert f'<time datetime="{due.isoformat()}">{due.strftime("%d/%m/%Y")}</time></dd>' in page
    assert "Vẫn cần công khai." in page
    dashboard = text(leader.get(f"{BASE}/quan-ly/"))
    assert '<dd id="count-review-late">0</dd>' in dashboard
