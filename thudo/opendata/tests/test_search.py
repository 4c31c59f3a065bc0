"""Dataset search with CKAN's parameters: accent-insensitive whole-word matching on both
databases ("Đường Hà Nội" ↔ "duong ha noi"), title hits first, facets counted over the
matches a caller may see, and the Solr subset of ``fq``, ``q`` and ``sort`` with its
errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from django.db import connection

from thudo.core.errors import InvalidInput
from thudo.core.tests.factories import City
from thudo.opendata import search, services
from thudo.opendata.models import Dataset
from thudo.opendata.search import Filter, Query

SORT_HELP = (
    "không hợp lệ: dùng “trường asc|desc” với trường là score, metadata_modified, "
    "metadata_created, name, title_string, title."
)
NO_OR = "Chưa hỗ trợ OR và ngoặc trong fq; các điều kiện luôn kết hợp AND."
ALL_FACETS = ("organization", "groups", "tags", "res_format", "license_id")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


class Catalogue:
    """Two publishers. A publisher's name is searchable text of each of its datasets, so
    the text searches use the Department of Justice ("Sở Tư pháp"); the People's
    Committee ("Ủy ban nhân dân Thành phố Hà Nội") adds "dan" and "ha noi" to its own."""

    def __init__(self, city: City) -> None:
        self.justice = services.organization_ensure(
            actor=None, agency=city.justice, name="so-tu-phap"
        )
        self.committee = services.organization_ensure(
            actor=None, agency=city.city_pc, name="ubnd-thanh-pho"
        )
        services.group_create(actor=None, name="dan-cu", title="Dân cư", eu_theme="SOCI")
        services.group_create(actor=None, name="giao-thong", title="Giao thông")

    def add(self, name: str, title: str, org: str = "so-tu-phap", **fields: Any) -> Dataset:
        return services.dataset_create(
            actor=None, data={"name": name, "title": title, "owner_org": org, **fields}
        )


@pytest.fixture
def catalogue(city: City, media: Path) -> Catalogue:
    return Catalogue(city)


class Facets:
    """Public datasets of both publishers, and a private, a draft and a deleted one that
    match the same words."""

    def __init__(self, cat: Catalogue) -> None:
        self.cat = cat
        self.population = cat.add(
            "dan-so",
            "Dân số Hà Nội",
            "ubnd-thanh-pho",
            tags=["dân số", "thống kê"],
            groups=["dan-cu"],
            resources=[{"url": "https://a.vn/dan-so.json"}],
        )
        self.civil = cat.add(
            "ho-tich",
            "Hộ tịch Hà Nội",
            tags=["hộ tịch", "dân số"],
            groups=["dan-cu"],
            license_id="cc-zero",
            resources=[{"url": "https://a.vn/ho-tich.csv"}],
        )
        self.buses = cat.add(
            "xe-buyt", "Xe buýt", "ubnd-thanh-pho", tags=["giao thông"], groups=["giao-thong"]
        )
        self.land = cat.add("dat-dai", "Đất đai Hà Nội", private=True, tags=["dân số"])
        self.draft = cat.add("ban-nhap", "Bản nháp Hà Nội", state="draft", tags=["nháp"])
        self.private_draft = cat.add(
            "nhap-noi-bo", "Nháp nội bộ Hà Nội", state="draft", private=True, tags=["nháp"]
        )
        gone = cat.add("da-xoa", "Đã xóa Hà Nội", tags=["dân số"])
        services.dataset_delete(actor=None, dataset=gone)


@pytest.fixture
def facets(catalogue: Catalogue) -> Facets:
    return Facets(catalogue)


def _names(query: Query, **kwargs: Any) -> list[str]:
    result = search.run(query, **kwargs)
    found = dict(Dataset.objects.filter(pk__in=result.ids).values_list("pk", "name"))
    return [found[i] for i in result.ids]


def _bad(call: Any) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as caught:
        call()
    [error] = caught.value.field_errors
    assert (error.code, error.message) == ("invalid", caught.value.message)
    return error.field, error.message


# --- matching ---------------------------------------------------------------------------------


@pytest.fixture
def streets(catalogue: Catalogue) -> dict[str, Dataset]:
    return {
        "accented": catalogue.add("duong-pho", "Đường Hà Nội"),
        "plain": catalogue.add("khong-dau", "duong ha noi"),
        "punctuated": catalogue.add("cham-cau", "Hà-Nội/Đà Nẵng: (đường-phố)!"),
        "directory": catalogue.add("danh-ba", "Danh bạ cơ quan"),
        "elsewhere": catalogue.add("o-hue", "Đường Huế"),
    }


@pytest.mark.parametrize(
    "q",
    [
        "Đường Hà Nội",
        "duong ha noi",
        "ĐƯỜNG HÀ NỘI",
        "DUONG HA NOI",
        "đường, hà-nội!",
        "  ha   noi duong ",
    ],
)
def test_accents_case_and_punctuation_do_not_matter(streets: dict[str, Dataset], q: str) -> None:
    result = search.run(Query(q=q))

    assert set(result.ids) == {
        streets["accented"].pk,
        streets["plain"].pk,
        streets["punctuated"].pk,
    }
    assert result.count == 3


def test_words_fold_like_the_text_they_search() -> None:
    assert search.words("Đường Hà Nội") == " duong ha noi "
    assert search.words("ĐƯỜNG  HÀ-NỘI, (2025)!") == " duong ha noi 2025 "
    assert search.words("") == "  "


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("dan", []),
        ("danh", ["danh-ba"]),
        ("duon", []),
        ("noi", ["cham-cau", "khong-dau", "duong-pho"]),
        ("da nang", ["cham-cau"]),
        ("duong hue", ["o-hue"]),
        ("duong ha noi hue", []),
    ],
)
def test_whole_words_only_and_every_word_must_match(
    streets: dict[str, Dataset], q: str, names: list[str]
) -> None:
    # Equal scores fall back to the newest first.
    assert _names(Query(q=q)) == names


def test_an_underscore_separates_words() -> None:
    assert search.words("ho_tich") == " ho tich "


def test_a_word_after_an_underscore_is_found(catalogue: Catalogue) -> None:
    ds = catalogue.add("so_lieu_xyz", "Tài liệu")

    assert search.run(Query(q="xyz")).ids == [ds.pk]


def test_an_apostrophe_in_free_text_is_just_punctuation(catalogue: Catalogue) -> None:
    ds = catalogue.add("bao-cao", "Báo cáo", title_en="People's Committee report")

    assert search.run(Query(q="People's Committee")).ids == [ds.pk]


def test_a_title_hit_ranks_above_a_body_only_hit(catalogue: Catalogue) -> None:
    in_title = catalogue.add("xe-buyt", "Xe buýt")
    in_notes = catalogue.add("ban-do", "Bản đồ giao thông", notes="Các tuyến xe buýt nội đô.")
    in_tags = catalogue.add("luong-khach", "Lượng khách", tags=["xe buýt"])

    result = search.run(Query(q="xe buyt"))

    # The body-only hits are newer: without ranking they would come first.
    assert result.ids[0] == in_title.pk
    assert set(result.ids[1:]) == {in_notes.pk, in_tags.pk}
    assert result.sort == "score desc, metadata_modified desc"


def test_notes_tags_groups_publisher_and_maintainer_are_searched(catalogue: Catalogue) -> None:
    ds = catalogue.add(
        "day-du",
        "Một",
        notes="Khai sinh theo tháng",
        tags=["kết hôn"],
        groups=["dan-cu"],
        maintainer="Phòng Hộ tịch",
        title_en="Civil",
    )

    for q in ("khai sinh", "ket hon", "dan cu", "so tu phap", "phong ho tich", "civil", "day du"):
        assert search.run(Query(q=q)).ids == [ds.pk], q


def test_a_patch_is_found_by_its_new_words_only(catalogue: Catalogue) -> None:
    ds = catalogue.add("doi-ten", "Tên cũ")

    services.dataset_patch(actor=None, dataset=ds, data={"title": "Tên mới"})

    assert search.run(Query(q="moi")).ids == [ds.pk]
    assert search.run(Query(q="cu")).ids == []


@pytest.mark.postgres
def test_the_search_vector_is_kept_by_the_trigger(catalogue: Catalogue) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("tsvector and its trigger exist on PostgreSQL only")
    ds = catalogue.add("duong-pho", "Đường Hà Nội")

    def vector() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT search_vector::text FROM opendata_dataset WHERE id = %s", [ds.pk]
            )
            return cursor.fetchone()[0]

    assert vector() == "'duong':1A,4B 'ha':2A 'noi':3A 'phap':8B 'pho':5B 'so':6B 'tu':7B"
    services.dataset_patch(actor=None, dataset=ds, data={"title": "Phố Huế"})
    assert vector() == "'duong':3B 'hue':2A 'phap':7B 'pho':1A,4B 'so':5B 'tu':6B"


# --- visibility and facets --------------------------------------------------------------------


def test_facets_count_only_the_visible_matches(facets: Facets) -> None:
    result = search.run(Query(q="ha noi", facet_fields=ALL_FACETS))

    # "Xe buýt" matches through its publisher, the committee "… Thành phố Hà Nội".
    assert (result.count, set(result.ids)) == (
        3,
        {facets.population.pk, facets.civil.pk, facets.buses.pk},
    )
    assert result.facets == {
        "organization": {"ubnd-thanh-pho": 2, "so-tu-phap": 1},
        "groups": {"dan-cu": 2, "giao-thong": 1},
        "tags": {"dân số": 2, "giao thông": 1, "hộ tịch": 1, "thống kê": 1},
        "res_format": {"CSV": 1, "JSON": 1},
        "license_id": {"cc-by-4.0": 2, "cc-zero": 1},
    }
    assert list(result.facets["tags"]) == ["dân số", "giao thông", "hộ tịch", "thống kê"]


def test_facets_follow_the_keywords_and_the_filters(facets: Facets) -> None:
    civil = search.run(Query(q="ho tich", facet_fields=("tags", "organization")))
    filtered = search.run(Query(fq="organization:ubnd-thanh-pho", facet_fields=("tags",)))
    nothing = search.run(Query(q="khong co gi", facet_fields=("tags",)))

    assert civil.facets == {"tags": {"dân số": 1, "hộ tịch": 1}, "organization": {"so-tu-phap": 1}}
    assert filtered.facets == {"tags": {"dân số": 1, "giao thông": 1, "thống kê": 1}}
    assert (nothing.count, nothing.ids, nothing.facets) == (0, [], {"tags": {}})
    assert search.run(Query(q="ho tich")).facets == {}


@pytest.mark.parametrize(
    ("private", "drafts", "orgs", "names"),
    [
        (False, False, "justice", ["ho-tich"]),
        (True, False, "justice", ["ho-tich", "dat-dai"]),
        (False, True, "justice", ["ho-tich", "ban-nhap"]),
        (True, True, "justice", ["ho-tich", "dat-dai", "ban-nhap", "nhap-noi-bo"]),
        (True, True, "committee", ["ho-tich"]),
        (True, True, "none", ["ho-tich"]),
    ],
)
def test_private_and_draft_datasets_only_for_their_own_organisations(
    facets: Facets, private: bool, drafts: bool, orgs: str, names: list[str]
) -> None:
    own = {
        "justice": [facets.cat.justice.pk],
        "committee": [facets.cat.committee.pk],
        "none": [],
    }[orgs]

    result = search.run(
        Query(
            fq="organization:so-tu-phap",
            sort="metadata_created asc",
            include_private=private,
            include_drafts=drafts,
            facet_fields=("tags",),
        ),
        own_orgs=own,
    )

    found = dict(Dataset.objects.values_list("pk", "name"))
    assert [found[i] for i in result.ids] == names
    tags: dict[str, int] = {}
    for name in names:
        for tag in Dataset.objects.get(name=name).tags.values_list("name", flat=True):
            tags[tag] = tags.get(tag, 0) + 1
    assert result.facets["tags"] == tags


def test_without_flags_own_organisations_see_only_public_datasets(facets: Facets) -> None:
    assert search.run(Query(), own_orgs=[facets.cat.justice.pk]).count == 3


@pytest.mark.parametrize(
    ("limit", "tags"),
    [
        (1, {"dân số": 2}),
        (2, {"dân số": 2, "giao thông": 1}),
        (0, {}),
        (-1, {"dân số": 2, "giao thông": 1, "hộ tịch": 1, "thống kê": 1}),
    ],
)
def test_facet_limit(facets: Facets, limit: int, tags: dict[str, int]) -> None:
    result = search.run(Query(facet_fields=("tags", "groups"), facet_limit=limit))

    assert result.facets["tags"] == tags
    assert len(result.facets["groups"]) == (2 if limit < 0 else min(2, limit))


def test_an_unknown_facet_field_is_refused(facets: Facets) -> None:
    assert _bad(lambda: search.run(Query(facet_fields=("tags", "author")))) == (
        "facet.field",
        "Không có nhóm lọc “author”; các nhóm lọc: organization, groups, tags, res_format, "
        "license_id.",
    )


def test_a_search_with_five_facets_takes_three_queries(
    facets: Facets, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        result = search.run(
            Query(q="ha noi", fq='-tags:"thống kê"', sort="name asc", facet_fields=ALL_FACETS)
        )

    assert result.count == 2


# --- fq ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fq", "filters"),
    [
        ("", []),
        ("tags:x", [Filter("tags", "x")]),
        (
            'tags:"dân số" -organization:so-tu-phap',
            [
                Filter("tags", "dân số"),
                Filter("organization", "so-tu-phap", negate=True),
            ],
        ),
        ('NOT tags:"hộ tịch"', [Filter("tags", "hộ tịch", negate=True)]),
        ("not tags:x", [Filter("tags", "x", negate=True)]),
        (
            "+tags:x AND groups:dan-cu && res_format:CSV",
            [
                Filter("tags", "x"),
                Filter("groups", "dan-cu"),
                Filter("res_format", "CSV"),
            ],
        ),
        ("- tags:x ! groups:y", [Filter("tags", "x", True), Filter("groups", "y", True)]),
        ("dataset_type:dataset tags:x capacity:public site_id:thudo", [Filter("tags", "x")]),
        (
            "name:ho-tich id:abc license_id:cc-zero",
            [
                Filter("name", "ho-tich"),
                Filter("id", "abc"),
                Filter("license_id", "cc-zero"),
            ],
        ),
        ("tags:a:b", [Filter("tags", "a:b")]),
    ],
)
def test_parse_fq(fq: str, filters: list[Filter]) -> None:
    assert search.parse_fq(fq) == filters


@pytest.mark.parametrize(
    ("fq", "message"),
    [
        (
            "title:x",
            "Không lọc được theo trường “title”; các trường được dùng: organization, groups, "
            "tags, res_format, license_id, name, id.",
        ),
        ("tags:a OR tags:b", NO_OR),
        ("tags:a || tags:b", NO_OR),
        ("tags:(a b)", NO_OR),
        ("(tags:a)", NO_OR),
        ('tags:"dân số', "Cú pháp không hợp lệ: No closing quotation."),
        ("tags:", "“tags:” không phải điều kiện dạng trường:giá trị."),
        ("dân số", "“dân” không phải điều kiện dạng trường:giá trị."),
        ('tags:" "', "Điều kiện “tags: ” thiếu giá trị."),
        ("tags:x NOT", "fq kết thúc bằng NOT mà không có điều kiện."),
    ],
)
def test_parse_fq_refuses_what_it_does_not_support(fq: str, message: str) -> None:
    assert _bad(lambda: search.parse_fq(fq)) == ("fq", message)


def test_run_reports_a_bad_fq_with_its_field(facets: Facets) -> None:
    assert _bad(lambda: search.run(Query(fq="groups:(a OR b)")))[0] == "fq"


@pytest.mark.parametrize(
    ("fq", "names"),
    [
        ('tags:"dân số"', ["dan-so", "ho-tich"]),
        ('-tags:"dân số"', ["xe-buyt"]),
        ('NOT tags:"dân số" NOT tags:"giao thông"', []),
        ("NOT organization:ubnd-thanh-pho", ["ho-tich"]),
        ('+tags:"dân số" AND organization:ubnd-thanh-pho', ["dan-so"]),
        ("res_format:CSV", ["ho-tich"]),
        ("res_format:csv", []),
        ("groups:dan-cu license_id:cc-by-4.0", ["dan-so"]),
        ("name:xe-buyt", ["xe-buyt"]),
        ("id:khong-phai-uuid", []),
        ("dataset_type:dataset", ["dan-so", "ho-tich", "xe-buyt"]),
        ("tags:nháp", []),
    ],
)
def test_fq_filters(facets: Facets, fq: str, names: list[str]) -> None:
    assert _names(Query(fq=fq, sort="name asc")) == names


def test_fq_by_id(facets: Facets) -> None:
    assert search.run(Query(fq=f"id:{facets.buses.pk}")).ids == [facets.buses.pk]
    assert search.run(Query(fq=f"-id:{facets.buses.pk}")).count == 2


def test_an_ignored_field_with_another_value_matches_nothing(facets: Facets) -> None:
    assert search.run(Query(fq="dataset_type:harvest")).count == 0


# --- q ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "parsed"),
    [
        ("", ("", [])),
        ("*:*", ("", [])),
        ("*", ("", [])),
        ("  ha noi  ", ("ha noi", [])),
        ('tags:"dân số" ha noi', ("ha noi", [Filter("tags", "dân số")])),
        ("-tags:x y AND + z", ("y z", [Filter("tags", "x", negate=True)])),
        ("dataset_type:dataset x", ("x", [])),
        ("https://a.vn/x 10:30", ("https://a.vn/x 10:30", [])),
        ('"Hà Nội" năm', ("Hà Nội năm", [])),
    ],
)
def test_parse_q(q: str, parsed: tuple[str, list[Filter]]) -> None:
    assert search.parse_q(q) == parsed


def test_parse_q_refuses_unknown_fields_and_bad_quotes() -> None:
    assert _bad(lambda: search.parse_q("title:x"))[0] == "q"
    # An unclosed quote in free text is punctuation, as an apostrophe is.
    assert search.parse_q('"ha noi') == ('"ha noi', [])


def test_q_with_field_terms_filters_as_fq_does(facets: Facets) -> None:
    assert _names(Query(q='tags:"dân số" ha noi', sort="name asc")) == ["dan-so", "ho-tich"]
    assert _names(Query(q="tags:thống\\ kê")) == ["dan-so"]
    assert _names(Query(q="organization:so-tu-phap", fq='tags:"dân số"')) == ["ho-tich"]
    assert _names(Query(q="-organization:so-tu-phap xe")) == ["xe-buyt"]


# --- sort, rows and start ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", []),
        ("name asc", [("name", False)]),
        (
            "metadata_modified desc, name ASC",
            [("modified_at", True), ("name", False)],
        ),
        ("score desc,metadata_created asc", [("score", True), ("created_at", False)]),
        ("title_string desc", [("search_title", True)]),
        ("title asc", [("search_title", False)]),
        (" , name desc ,", [("name", True)]),
    ],
)
def test_parse_sort(sort: str, order: list[tuple[str, bool]]) -> None:
    assert search.parse_sort(sort) == order


@pytest.mark.parametrize("part", ["name", "name up", "owner_org desc", "name asc desc"])
def test_parse_sort_refuses(part: str) -> None:
    assert _bad(lambda: search.parse_sort(f"metadata_modified desc, {part}")) == (
        "sort",
        f"Sắp xếp “{part}” {SORT_HELP}",
    )


def test_sort_orders_the_results_and_is_echoed(facets: Facets) -> None:
    by_name = search.run(Query(sort="name desc"))
    by_title = search.run(Query(sort="title asc"))
    newest = search.run(Query())

    found = dict(Dataset.objects.values_list("pk", "name"))
    assert ([found[i] for i in by_name.ids], by_name.sort) == (
        ["xe-buyt", "ho-tich", "dan-so"],
        "name desc",
    )
    # Titles sort by their folded form: "Dân số", "Hộ tịch", "Xe buýt".
    assert ([found[i] for i in by_title.ids], by_title.sort) == (
        ["dan-so", "ho-tich", "xe-buyt"],
        "title_string asc",
    )
    assert ([found[i] for i in newest.ids], newest.sort) == (
        ["xe-buyt", "ho-tich", "dan-so"],
        "metadata_modified desc",
    )


def test_rows_and_start_page_through_the_results(facets: Facets) -> None:
    pages = [search.run(Query(sort="name asc", rows=2, start=s)) for s in (0, 2, 3)]
    none = search.run(Query(rows=0, facet_fields=("tags",)))

    assert [(p.count, len(p.ids)) for p in pages] == [(3, 2), (3, 1), (3, 0)]
    assert pages[0].ids + pages[1].ids == search.run(Query(sort="name asc")).ids
    assert (none.count, none.ids) == (3, [])
    assert none.facets["tags"]["dân số"] == 2
    assert len(search.run(Query(rows=1000)).ids) == 3


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (Query(rows=1001), ("rows", "rows phải từ 0 đến 1000.")),
        (Query(rows=-1), ("rows", "rows phải từ 0 đến 1000.")),
        (Query(start=-1), ("start", "start không được âm.")),
        (Query(sort="name"), ("sort", f"Sắp xếp “name” {SORT_HELP}")),
    ],
)
def test_rows_start_and_sort_bounds(
    catalogue: Catalogue, query: Query, error: tuple[str, str]
) -> None:
    assert _bad(lambda: search.run(query)) == error


def test_ids_are_uuids_of_datasets(facets: Facets) -> None:
    ids = search.run(Query(sort="name asc")).ids

    assert all(isinstance(i, UUID) for i in ids)
    assert ids == [facets.population.pk, facets.civil.pk, facets.buses.pk]
