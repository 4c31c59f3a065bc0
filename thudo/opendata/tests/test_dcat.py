"""DCAT-AP 3 export: exact triples, round trips through every format, SHACL conformance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pyshacl import validate
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, OWL, SH, SKOS

from thudo.opendata.dcat import (
    DCAT,
    FORMATS,
    SPDX,
    VCARD,
    catalog_graph,
    dataset_graph,
    serialize,
)

SHAPES = Path(__file__).parent / "data" / "dcat-ap-3.0.0-shacl.ttl"
BASE = "http://127.0.0.1:8000/opendata"
AUTHORITY = "http://publications.europa.eu/resource/authority/"
DATASET = URIRef(f"{BASE}/dataset/dan-so-theo-phuong")
RESOURCE_ID = "5f0c6a1e-6f3b-4a55-9a8e-2f1d3c4b5a60"
DISTRIBUTION = URIRef(f"{DATASET}/resource/{RESOURCE_ID}")
DOWNLOAD = URIRef(f"{DISTRIBUTION}/download/dan-so.csv")
PUBLISHER = URIRef(f"{BASE}/organization/so-tu-phap")
DIGEST = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
# rdflib's closed XSD namespace warns when pytest probes module attributes for fixtures.
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")
XSD_DATE_TIME = URIRef("http://www.w3.org/2001/XMLSchema#dateTime")
XSD_HEX_BINARY = URIRef("http://www.w3.org/2001/XMLSchema#hexBinary")
XSD_NON_NEGATIVE_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")

# rdflib's own JSON-LD parser still builds a ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


def full_package() -> dict[str, Any]:
    return {
        "id": "0b6e4d9a-3c2f-4e1b-8a7d-1f2e3d4c5b6a",
        "name": "dan-so-theo-phuong",
        "title": "Dân số theo phường",
        "title_en": "Population by ward",
        "notes": "Số liệu dân số của từng phường dọc **Đường Hà Nội**.",
        "notes_en": "Population of every ward.",
        "version": "3",
        "state": "active",
        "private": False,
        "type": "dataset",
        "license_id": "cc-by-4.0",
        "license_title": "Creative Commons Attribution 4.0",
        "license_url": str(LICENSE),
        "metadata_created": "2026-01-05T08:00:00+07:00",
        "metadata_modified": "2026-11-20T10:11:12+07:00",
        "url": "https://thongke.hanoi.gov.vn/dan-so",
        "author": "",
        "author_email": "",
        "maintainer": "Phòng Thống kê",
        "maintainer_email": "thongke@hanoi.gov.vn",
        "organization": {
            "id": "7a1b2c3d-0000-4000-8000-000000000001",
            "name": "so-tu-phap",
            "title": "Sở Tư pháp",
            "description": "",
            "agency_code": "000.00.07.H26",
        },
        "groups": [
            {
                "id": "7a1b2c3d-0000-4000-8000-000000000002",
                "name": "dan-cu",
                "title": "Dân cư",
                "description": "",
                "eu_theme": "SOCI",
            },
            {"id": "7a1b2c3d-0000-4000-8000-000000000003", "name": "do-thi", "title": "Đô thị"},
        ],
        "tags": [
            {"id": "t1", "name": "dân số", "display_name": "dân số"},
            {"id": "t2", "name": "phường", "display_name": "phường"},
        ],
        "resources": [
            {
                "id": RESOURCE_ID,
                "package_id": "0b6e4d9a-3c2f-4e1b-8a7d-1f2e3d4c5b6a",
                "name": "Dân số 2025",
                "description": "Bảng dân số năm 2025",
                "url": str(DOWNLOAD),
                "format": "CSV",
                "mimetype": "text/csv",
                "size": 12345,
                "hash": f"sha256:{DIGEST}",
                "created": "2026-01-05T08:00:00+07:00",
                "last_modified": "2026-11-20T10:11:12+07:00",
                "datastore_active": True,
                "position": 0,
            }
        ],
        "frequency": "annual",
        "temporal_start": "2025-01-01",
        "temporal_end": "2025-12-31",
        "spatial": [
            {"code": "01", "name": "Thành phố Hà Nội"},
            {"code": "00004", "name": "Phường Ba Đình"},
        ],
        "language": "vi",
        "revision": 3,
        "lineage": "Tổng hợp từ sổ hộ khẩu của các phường.",
    }


def minimal_package() -> dict[str, Any]:
    return {"id": "c0ffee00-0000-4000-8000-000000000000", "name": "toi-thieu", "title": "Tối thiểu"}


def empty_package() -> dict[str, Any]:
    """Every optional field present but empty, the way a form leaves them."""
    return {
        **minimal_package(),
        "title_en": "",
        "notes": "",
        "notes_en": " ",
        "version": "",
        "license_url": "",
        "license_title": "",
        "metadata_created": "",
        "metadata_modified": None,
        "url": "",
        "author": "",
        "author_email": "",
        "maintainer": "",
        "maintainer_email": "",
        "organization": None,
        "groups": [],
        "tags": [],
        "resources": [],
        "frequency": "",
        "temporal_start": None,
        "temporal_end": None,
        "spatial": [],
        "language": "",
        "lineage": "",
    }


SITE: dict[str, Any] = {
    "title": "Cổng dữ liệu mở Hà Nội",
    "title_en": "Hanoi open data portal",
    "description": "Dữ liệu mở của Thành phố Hà Nội",
    "url": "https://hanoi.gov.vn/",
    "publisher": {"name": "ubnd-ha-noi", "title": "Ủy ban nhân dân Thành phố Hà Nội"},
    "language": "vi",
    "modified": "2026-11-21T09:00:00+07:00",
}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def assert_conforms(graph: Graph, shapes: Graph) -> None:
    conforms, results, text = validate(
        graph,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    assert conforms is True, text
    assert (None, SH.resultSeverity, SH.Violation) not in results, text


def only(graph: Graph, subject: Any, predicate: URIRef) -> Any:
    objects = list(graph.objects(subject, predicate))
    assert len(objects) == 1, objects
    return objects[0]


def test_formats_table() -> None:
    assert FORMATS == {
        "jsonld": ("json-ld", "application/ld+json"),
        "ttl": ("turtle", "text/turtle"),
        "rdf": ("xml", "application/rdf+xml"),
    }


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("build", [full_package, minimal_package, empty_package])
def test_dataset_round_trips(fmt: str, build: Any) -> None:
    graph = dataset_graph(build(), base_url=BASE)
    body, content_type = serialize(graph, fmt)
    assert isinstance(body, bytes)
    assert content_type == FORMATS[fmt][1]
    parsed = Graph().parse(data=body, format=FORMATS[fmt][0])
    assert isomorphic(graph, parsed)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_catalog_round_trips(fmt: str) -> None:
    graph = catalog_graph(SITE, [full_package(), minimal_package()], base_url=BASE)
    body, _ = serialize(graph, fmt)
    assert isomorphic(graph, Graph().parse(data=body, format=FORMATS[fmt][0]))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_vietnamese_survives_as_utf8(fmt: str) -> None:
    body, _ = serialize(dataset_graph(full_package(), base_url=BASE), fmt)
    assert "Đường Hà Nội" in body.decode("utf-8")
    parsed = Graph().parse(data=body, format=FORMATS[fmt][0])
    description = Literal("Số liệu dân số của từng phường dọc **Đường Hà Nội**.", lang="vi")
    assert (DATASET, DCTERMS.description, description) in parsed


def test_jsonld_is_compact_json() -> None:
    body, _ = serialize(dataset_graph(full_package(), base_url=BASE), "jsonld")
    document = json.loads(body)
    assert document["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert document["@context"]["dct"] == "http://purl.org/dc/terms/"


def test_turtle_uses_readable_prefixes() -> None:
    body, _ = serialize(dataset_graph(full_package(), base_url=BASE), "ttl")
    text = body.decode()
    for prefix in ("dcat", "dct", "foaf", "vcard", "spdx", "skos", "owl", "xsd"):
        assert f"@prefix {prefix}: " in text
    assert "dct:title " in text


@pytest.mark.parametrize("fmt", ["json", "n3", "turtle", "TTL", "", "xml"])
def test_unknown_format_is_rejected(fmt: str) -> None:
    with pytest.raises(ValueError, match="unknown RDF format"):
        serialize(Graph(), fmt)


def test_dataset_core_fields() -> None:
    g = dataset_graph(full_package(), base_url=BASE)
    assert (DATASET, RDF.type, DCAT.Dataset) in g
    identifier = Literal("0b6e4d9a-3c2f-4e1b-8a7d-1f2e3d4c5b6a")
    assert (DATASET, DCTERMS.identifier, identifier) in g
    assert set(g.objects(DATASET, DCTERMS.title)) == {
        Literal("Dân số theo phường", lang="vi"),
        Literal("Population by ward", lang="en"),
    }
    assert Literal("Population of every ward.", lang="en") in set(
        g.objects(DATASET, DCTERMS.description)
    )
    assert set(g.objects(DATASET, DCAT.keyword)) == {
        Literal("dân số", lang="vi"),
        Literal("phường", lang="vi"),
    }
    assert only(g, DATASET, DCTERMS.issued) == Literal(
        "2026-01-05T08:00:00+07:00", datatype=XSD_DATE_TIME
    )
    assert only(g, DATASET, DCTERMS.modified) == Literal(
        "2026-11-20T10:11:12+07:00", datatype=XSD_DATE_TIME
    )
    assert only(g, DATASET, OWL.versionInfo) == Literal("3")
    assert only(g, DATASET, DCAT.version) == Literal("3")
    language = URIRef(f"{AUTHORITY}language/VIE")
    assert only(g, DATASET, DCTERMS.language) == language
    assert (language, RDF.type, DCTERMS.LinguisticSystem) in g
    landing = URIRef("https://thongke.hanoi.gov.vn/dan-so")
    assert only(g, DATASET, DCAT.landingPage) == landing
    assert (landing, RDF.type, FOAF.Document) in g


def test_frequency_is_the_eu_authority_iri() -> None:
    g = dataset_graph(full_package(), base_url=BASE)
    frequency = URIRef(f"{AUTHORITY}frequency/ANNUAL")
    assert only(g, DATASET, DCTERMS.accrualPeriodicity) == frequency
    assert (frequency, RDF.type, DCTERMS.Frequency) in g


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("monthly", "MONTHLY"),
        ("quarterly", "QUARTERLY"),
        ("weekly", "WEEKLY"),
        ("daily", "DAILY"),
        ("irregular", "IRREG"),
        ("never", "NEVER"),
    ],
)
def test_other_frequencies(value: str, code: str) -> None:
    g = dataset_graph({**minimal_package(), "frequency": value}, base_url=BASE)
    dataset = URIRef(f"{BASE}/dataset/toi-thieu")
    assert only(g, dataset, DCTERMS.accrualPeriodicity) == URIRef(f"{AUTHORITY}frequency/{code}")


def test_publisher_and_contact_point() -> None:
    g = dataset_graph(full_package(), base_url=BASE)
    assert only(g, DATASET, DCTERMS.publisher) == PUBLISHER
    assert (PUBLISHER, RDF.type, FOAF.Agent) in g
    assert (PUBLISHER, RDF.type, FOAF.Organization) in g
    assert only(g, PUBLISHER, FOAF.name) == Literal("Sở Tư pháp", lang="vi")
    assert only(g, PUBLISHER, DCTERMS.identifier) == Literal("000.00.07.H26")

    contact = only(g, DATASET, DCAT.contactPoint)
    assert isinstance(contact, BNode)
    assert {VCARD.Kind, VCARD.Organization} == set(g.objects(contact, RDF.type))
    assert only(g, contact, VCARD.fn) == Literal("Phòng Thống kê", lang="vi")
    assert only(g, contact, VCARD.hasEmail) == URIRef("mailto:thongke@hanoi.gov.vn")


def test_contact_point_falls_back_to_author() -> None:
    package = {**minimal_package(), "author": "Nguyễn Văn A", "author_email": "a@hanoi.gov.vn"}
    g = dataset_graph(package, base_url=BASE)
    contact = only(g, URIRef(f"{BASE}/dataset/toi-thieu"), DCAT.contactPoint)
    assert only(g, contact, VCARD.fn) == Literal("Nguyễn Văn A", lang="vi")
    assert only(g, contact, VCARD.hasEmail) == URIRef("mailto:a@hanoi.gov.vn")


def test_groups_become_themes() -> None:
    g = dataset_graph(full_package(), base_url=BASE)
    group = URIRef(f"{BASE}/group/dan-cu")
    eu_theme = URIRef(f"{AUTHORITY}data-theme/SOCI")
    assert set(g.objects(DATASET, DCAT.theme)) == {group, eu_theme, URIRef(f"{BASE}/group/do-thi")}
    assert (group, RDF.type, SKOS.Concept) in g
    assert only(g, group, SKOS.prefLabel) == Literal("Dân cư", lang="vi")
    assert (eu_theme, RDF.type, SKOS.Concept) in g
    assert (eu_theme, SKOS.prefLabel, Literal("Population and society", lang="en")) in g
    assert only(g, eu_theme, SKOS.inScheme) == URIRef(f"{AUTHORITY}data-theme")


def test_unknown_eu_theme_is_dropped() -> None:
    package = {
        **minimal_package(),
        "groups": [{"name": "khac", "title": "Khác", "eu_theme": "XYZ"}],
    }
    g = dataset_graph(package, base_url=BASE)
    themes = set(g.objects(URIRef(f"{BASE}/dataset/toi-thieu"), DCAT.theme))
    assert themes == {URIRef(f"{BASE}/group/khac")}


def test_temporal_and_spatial_coverage() -> None:
    g = dataset_graph(full_package(), base_url=BASE)
    period = only(g, DATASET, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in g
    assert only(g, period, DCAT.startDate) == Literal("2025-01-01", datatype=XSD_DATE)
    assert only(g, period, DCAT.endDate) == Literal("2025-12-31", datatype=XSD_DATE)

    places = {
        (str(only(g, place, DCTERMS.identifier)), str(only(g, place, SKOS.prefLabel)))
        for place in g.objects(DATASET, DCTERMS.spatial)
    }
    assert places == {("01", "Thành phố Hà Nội"), ("00004", "Phường Ba Đình")}
    for place in g.objects(DATASET, DCTERMS.spatial):
        assert (place, RDF.type, DCTERMS.Location) in g
        assert only(g, place, SKOS.prefLabel).language == "vi"


def test_open_ended_period_has_only_a_start() -> None:
    package = {**minimal_package(), "temporal_start": "2025-01-01", "temporal_end": None}
    g = dataset_graph(package, base_url=BASE)
    period = only(g, URIRef(f"{BASE}/dataset/toi-thieu"), DCTERMS.temporal)
    assert only(g, period, DCAT.startDate) == Literal("2025-01-01", datatype=XSD_DATE)
    assert list(g.objects(period, DCAT.endDate)) == []


def test_provenance_statement() -> None:
    g = dataset_graph(full_package(), base_url=BASE)
    provenance = only(g, DATASET, DCTERMS.provenance)
    assert (provenance, RDF.type, DCTERMS.ProvenanceStatement) in g
    label = Literal("Tổng hợp từ sổ hộ khẩu của các phường.", lang="vi")
    assert only(g, provenance, RDFS.label) == label


def test_distribution() -> None:
    g = dataset_graph(full_package(), base_url=BASE)
    assert only(g, DATASET, DCAT.distribution) == DISTRIBUTION
    assert (DISTRIBUTION, RDF.type, DCAT.Distribution) in g
    assert only(g, DISTRIBUTION, DCTERMS.title) == Literal("Dân số 2025", lang="vi")
    assert only(g, DISTRIBUTION, DCTERMS.description) == Literal("Bảng dân số năm 2025", lang="vi")
    assert only(g, DISTRIBUTION, DCAT.accessURL) == DOWNLOAD
    assert only(g, DISTRIBUTION, DCAT.downloadURL) == DOWNLOAD
    file_type = URIRef(f"{AUTHORITY}file-type/CSV")
    assert only(g, DISTRIBUTION, DCTERMS["format"]) == file_type
    assert (file_type, RDF.type, DCTERMS.MediaTypeOrExtent) in g
    media_type = URIRef("https://www.iana.org/assignments/media-types/text/csv")
    assert only(g, DISTRIBUTION, DCAT.mediaType) == media_type
    assert (media_type, RDF.type, DCTERMS.MediaType) in g
    assert only(g, DISTRIBUTION, DCTERMS.issued) == Literal(
        "2026-01-05T08:00:00+07:00", datatype=XSD_DATE_TIME
    )
    assert only(g, DISTRIBUTION, DCTERMS.modified) == Literal(
        "2026-11-20T10:11:12+07:00", datatype=XSD_DATE_TIME
    )


def test_byte_size_is_a_non_negative_integer() -> None:
    size = only(dataset_graph(full_package(), base_url=BASE), DISTRIBUTION, DCAT.byteSize)
    assert size.datatype == XSD_NON_NEGATIVE_INTEGER
    assert str(size) == "12345"


def test_checksum() -> None:
    g = dataset_graph(full_package(), base_url=BASE)
    checksum = only(g, DISTRIBUTION, SPDX.checksum)
    assert (checksum, RDF.type, SPDX.Checksum) in g
    assert only(g, checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert (SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm) in g
    value = only(g, checksum, SPDX.checksumValue)
    assert value == Literal(DIGEST.lower(), datatype=XSD_HEX_BINARY)
    assert str(value) == DIGEST.lower()


def test_license_on_distribution() -> None:
    g = dataset_graph(full_package(), base_url=BASE)
    assert only(g, DISTRIBUTION, DCTERMS.license) == LICENSE
    assert (LICENSE, RDF.type, DCTERMS.LicenseDocument) in g
    assert only(g, LICENSE, RDFS.label) == Literal("Creative Commons Attribution 4.0")


@pytest.mark.parametrize(
    ("fmt", "mimetype", "file_type", "media_type"),
    [
        ("xlsx", "", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("GeoJSON", None, "GEOJSON", "application/geo+json"),
        ("RDF/XML", "", "RDF_XML", "application/rdf+xml"),
        ("ttl", "text/turtle; charset=utf-8", "RDF_TURTLE", "text/turtle"),
        ("JSON-LD", "", "JSON_LD", "application/ld+json"),
        ("ZIP", "application/zip", "ZIP", "application/zip"),
    ],
)
def test_known_formats(fmt: str, mimetype: Any, file_type: str, media_type: str) -> None:
    resource = {"id": "r", "url": "https://x.vn/f", "format": fmt, "mimetype": mimetype}
    g = dataset_graph({**minimal_package(), "resources": [resource]}, base_url=BASE)
    distribution = URIRef(f"{BASE}/dataset/toi-thieu/resource/r")
    assert only(g, distribution, DCTERMS["format"]) == URIRef(f"{AUTHORITY}file-type/{file_type}")
    assert only(g, distribution, DCAT.mediaType) == URIRef(
        f"https://www.iana.org/assignments/media-types/{media_type}"
    )


def test_sparse_resource(shapes: Graph) -> None:
    resource = {"id": "r", "format": "Bản đồ giấy", "size": -1, "hash": "md5:not-hex"}
    g = dataset_graph({**minimal_package(), "resources": [resource]}, base_url=BASE)
    distribution = URIRef(f"{BASE}/dataset/toi-thieu/resource/r")
    # Without a URL the resource page is the access point, and nothing is downloadable.
    assert only(g, distribution, DCAT.accessURL) == distribution
    assert list(g.objects(distribution, DCAT.downloadURL)) == []
    unlisted = only(g, distribution, DCTERMS["format"])
    assert isinstance(unlisted, BNode)
    assert only(g, unlisted, RDFS.label) == Literal("Bản đồ giấy")
    for predicate in (DCAT.byteSize, SPDX.checksum, DCAT.mediaType, DCTERMS.license):
        assert list(g.objects(distribution, predicate)) == []
    assert_conforms(g, shapes)


def test_relative_and_unsafe_urls_become_valid_iris() -> None:
    resource = {"id": "r", "url": "/opendata/dataset/toi-thieu/resource/r/download/a b.csv"}
    g = dataset_graph({**minimal_package(), "resources": [resource]}, base_url=BASE + "/")
    distribution = URIRef(f"{BASE}/dataset/toi-thieu/resource/r")
    expected = URIRef(
        "http://127.0.0.1:8000/opendata/dataset/toi-thieu/resource/r/download/a%20b.csv"
    )
    assert only(g, distribution, DCAT.downloadURL) == expected


def test_naive_timestamps_are_local_time() -> None:
    package = {**minimal_package(), "metadata_modified": "2026-11-20T10:11:12.500000"}
    g = dataset_graph(package, base_url=BASE)
    assert only(g, URIRef(f"{BASE}/dataset/toi-thieu"), DCTERMS.modified) == Literal(
        "2026-11-20T10:11:12.500000+07:00", datatype=XSD_DATE_TIME
    )


def test_minimal_package() -> None:
    g = dataset_graph(minimal_package(), base_url=BASE)
    dataset = URIRef(f"{BASE}/dataset/toi-thieu")
    # DCAT-AP requires a description; the title stands in for empty notes.
    assert only(g, dataset, DCTERMS.description) == Literal("Tối thiểu", lang="vi")
    assert only(g, dataset, DCTERMS.title) == Literal("Tối thiểu", lang="vi")
    # The dataset page itself is the landing page when no URL is given.
    assert only(g, dataset, DCAT.landingPage) == dataset
    assert (dataset, RDF.type, FOAF.Document) in g


@pytest.mark.parametrize("build", [minimal_package, empty_package])
def test_empty_optional_fields_produce_no_triples(build: Any) -> None:
    g = dataset_graph(build(), base_url=BASE)
    dataset = URIRef(f"{BASE}/dataset/toi-thieu")
    assert set(g.predicates(dataset)) == {
        RDF.type,
        DCTERMS.identifier,
        DCTERMS.title,
        DCTERMS.description,
        DCAT.landingPage,
    }
    assert len(g) == 6
    for literal in g.objects():
        if isinstance(literal, Literal):
            assert str(literal).strip()


def test_malformed_values_are_dropped() -> None:
    package = {
        **minimal_package(),
        "metadata_created": "hôm qua",
        "temporal_start": "2025-13-45",
        "frequency": "thỉnh thoảng",
        "maintainer_email": "không có",
        "spatial": [{"code": "", "name": ""}, "01"],
        "language": ["xx-YY"],
    }
    g = dataset_graph(package, base_url=BASE)
    dataset = URIRef(f"{BASE}/dataset/toi-thieu")
    for predicate in (
        DCTERMS.issued,
        DCTERMS.temporal,
        DCTERMS.accrualPeriodicity,
        DCAT.contactPoint,
        DCTERMS.spatial,
        DCTERMS.language,
    ):
        assert list(g.objects(dataset, predicate)) == [], predicate


def test_catalog() -> None:
    g = catalog_graph(SITE, [full_package(), minimal_package()], base_url=BASE)
    catalog = URIRef(f"{BASE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    assert set(g.objects(catalog, DCTERMS.title)) == {
        Literal("Cổng dữ liệu mở Hà Nội", lang="vi"),
        Literal("Hanoi open data portal", lang="en"),
    }
    description = Literal("Dữ liệu mở của Thành phố Hà Nội", lang="vi")
    assert only(g, catalog, DCTERMS.description) == description
    publisher = URIRef(f"{BASE}/organization/ubnd-ha-noi")
    assert only(g, catalog, DCTERMS.publisher) == publisher
    assert only(g, publisher, FOAF.name) == Literal("Ủy ban nhân dân Thành phố Hà Nội", lang="vi")
    assert only(g, catalog, FOAF.homepage) == URIRef("https://hanoi.gov.vn/")
    assert only(g, catalog, DCTERMS.language) == URIRef(f"{AUTHORITY}language/VIE")
    assert only(g, catalog, DCTERMS.modified) == Literal(
        "2026-11-21T09:00:00+07:00", datatype=XSD_DATE_TIME
    )
    assert set(g.objects(catalog, DCAT.dataset)) == {DATASET, URIRef(f"{BASE}/dataset/toi-thieu")}
    assert only(g, catalog, DCAT.themeTaxonomy) == URIRef(f"{AUTHORITY}data-theme")
    # The datasets are described in full, not only linked.
    assert (DISTRIBUTION, DCAT.accessURL, DOWNLOAD) in g


def test_catalog_leaves_out_private_and_deleted_packages() -> None:
    packages = [
        full_package(),
        {**minimal_package(), "name": "rieng-tu", "private": True},
        {**minimal_package(), "name": "da-xoa", "state": "deleted"},
    ]
    g = catalog_graph(SITE, packages, base_url=BASE)
    assert set(g.objects(URIRef(f"{BASE}/catalog"), DCAT.dataset)) == {DATASET}
    assert (URIRef(f"{BASE}/dataset/rieng-tu"), None, None) not in g
    assert (URIRef(f"{BASE}/dataset/da-xoa"), None, None) not in g


def test_catalog_modified_falls_back_to_latest_dataset() -> None:
    site = {**SITE, "modified": None, "description": ""}
    newer = {**minimal_package(), "metadata_modified": "2026-12-01T00:00:00+07:00"}
    g = catalog_graph(site, [full_package(), newer], base_url=BASE)
    catalog = URIRef(f"{BASE}/catalog")
    assert only(g, catalog, DCTERMS.modified) == Literal(
        "2026-12-01T00:00:00+07:00", datatype=XSD_DATE_TIME
    )
    assert only(g, catalog, DCTERMS.description) == Literal("Cổng dữ liệu mở Hà Nội", lang="vi")


def test_catalog_conforms_to_dcat_ap_3(shapes: Graph) -> None:
    graph = catalog_graph(SITE, [full_package(), minimal_package()], base_url=BASE)
    assert_conforms(graph, shapes)


def test_catalog_without_datasets_conforms(shapes: Graph) -> None:
    graph = catalog_graph({**SITE, "modified": None}, [], base_url=BASE)
    assert list(graph.objects(URIRef(f"{BASE}/catalog"), DCAT.dataset)) == []
    assert_conforms(graph, shapes)


@pytest.mark.parametrize("build", [full_package, empty_package])
def test_dataset_graph_conforms_on_its_own(build: Any, shapes: Graph) -> None:
    assert_conforms(dataset_graph(build(), base_url=BASE), shapes)


def test_shapes_catch_a_broken_graph(shapes: Graph) -> None:
    # Guards the conformance tests against shapes that would accept anything.
    graph = dataset_graph(full_package(), base_url=BASE)
    graph.remove((DATASET, DCTERMS.description, None))
    graph.remove((None, RDF.type, DCTERMS.LicenseDocument))
    conforms, results, _ = validate(graph, shacl_graph=shapes, inference="none", advanced=True)
    assert conforms is False
    focus = set(results.objects(None, SH.focusNode))
    assert {DATASET, DISTRIBUTION} <= focus
