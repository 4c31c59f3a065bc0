"""DCAT output of the real catalogue (parsed back by rdflib, checked against the DCAT-AP 3
shapes), file downloads and the datastore dump."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import rdflib
from django.test import Client
from pyshacl import validate
from rdflib.namespace import DCAT, DCTERMS

from thudo.core.models import Role
from thudo.core.tests.factories import City, official
from thudo.opendata import services

SHAPES = Path(__file__).with_name("data") / "dcat-ap-3.0.0-shacl.ttl"
CSV = "Tên phường,Dân số\r\nPhường Ba Đình,65000\r\nPhường Ngọc Hà,52000\r\n".encode()
PARSERS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}


class Catalogue:
    def __init__(self) -> None:
        self.city = City()
        self.editor = official(self.city.justice, role=Role.SPECIALIST, username="cv.stp")
        services.organization_ensure(actor=None, agency=self.city.justice, name="so-tu-phap")
        services.group_create(actor=None, name="dan-cu", title="Dân cư", eu_theme="SOCI")
        self.dataset = services.dataset_create(
            actor=None,
            data={
                "name": "dan-so", "title": "Dân số Đường Hà Nội", "owner_org": "so-tu-phap",
                "notes": "Dân số theo phường.", "tags": ["dân số"], "groups": [{"name": "dan-cu"}],
                "frequency": "annual", "temporal_start": "2025-01-01",
                "temporal_end": "2025-12-31", "spatial": ["01", "00004"],
                "maintainer": "Phòng Thống kê", "maintainer_email": "thongke@hanoi.gov.vn",
            },
        )  # fmt: skip
        self.resource = services.resource_create(
            actor=None, dataset=self.dataset, data={"name": "Bảng"}, upload=("dan-so.csv", CSV)
        )
        services.datastore_load_run(actor=None, resource_id=str(self.resource.pk))
        self.private = services.dataset_create(
            actor=None,
            data={"name": "noi-bo", "title": "Nội bộ", "owner_org": "so-tu-phap", "private": True},
        )


@pytest.fixture
def catalogue(db: None) -> Catalogue:
    return Catalogue()


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
def test_catalogue_parses_in_every_format(
    catalogue: Catalogue, api_client: Client, fmt: str
) -> None:
    response = api_client.get(f"/opendata/catalog.{fmt}")
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.content, format=PARSERS[fmt])
    datasets = set(graph.subjects(rdflib.RDF.type, DCAT.Dataset))
    assert datasets == {rdflib.URIRef("http://testserver/opendata/dataset/dan-so")}
    titles = {
        str(t) for t in graph.objects(None, DCTERMS.title) if getattr(t, "language", "") == "vi"
    }
    assert "Dân số Đường Hà Nội" in titles


def test_catalogue_conforms_to_dcat_ap_3(catalogue: Catalogue, api_client: Client) -> None:
    data = rdflib.Graph().parse(
        data=api_client.get("/opendata/catalog.ttl").content, format="turtle"
    )
    conforms, _graph, text = validate(
        data, shacl_graph=rdflib.Graph().parse(SHAPES), inference="none", advanced=True
    )
    assert conforms, text


def test_dataset_rdf_and_unknown_ones(catalogue: Catalogue, api_client: Client) -> None:
    response = api_client.get("/opendata/dataset/dan-so.jsonld")
    assert response["Content-Type"] == "application/ld+json; charset=utf-8"
    graph = rdflib.Graph().parse(data=response.content, format="json-ld")
    distribution = graph.value(
        rdflib.URIRef("http://testserver/opendata/dataset/dan-so"), DCAT.distribution
    )
    assert distribution is not None
    assert api_client.get("/opendata/dataset/noi-bo.ttl").status_code == 404
    assert api_client.get("/opendata/dataset/khong-co.ttl").status_code == 404
    assert api_client.get("/opendata/dataset/dan-so.exe").status_code == 404
    assert api_client.get("/opendata/catalog.pdf").status_code == 404


def test_a_private_dataset_is_rdf_for_its_editor(catalogue: Catalogue, api_client: Client) -> None:
    api_client.force_login(catalogue.editor)
    assert api_client.get("/opendata/dataset/noi-bo.ttl").status_code == 200


def test_download_gives_the_uploaded_bytes(catalogue: Catalogue, api_client: Client) -> None:
    base = f"/opendata/dataset/{catalogue.dataset.pk}/resource/{catalogue.resource.pk}"
    url = f"{base}/download/dan-so.csv"
    response = api_client.get(url)
    assert response.status_code == 200
    assert _streamed(response) == CSV
    assert 'filename="dan-so.csv"' in response["Content-Disposition"]
    wrong = f"/opendata/dataset/{catalogue.private.pk}/resource/{catalogue.resource.pk}/download/x"
    assert api_client.get(wrong).status_code == 404


def test_datastore_dump_is_csv_with_a_bom(catalogue: Catalogue, api_client: Client) -> None:
    response = api_client.get(f"/opendata/datastore/dump/{catalogue.resource.pk}")
    assert response.status_code == 200
    text = _streamed(response).decode("utf-8")
    assert (
        text
        == "\ufeff_id,Tên phường,Dân số\r\n1,Phường Ba Đình,65000\r\n2,Phường Ngọc Hà,52000\r\n"
    )
    missing = "/opendata/datastore/dump/00000000-0000-0000-0000-000000000000"
    assert api_client.get(missing).status_code == 404


def _streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)
