"""DCAT-AP 3.0.0 views of the open-data catalogue.

National portals and ckanext-dcat style harvesters read a catalogue as RDF, not through the
CKAN action API. The functions here turn the CKAN-shaped dictionaries that the API already
returns (``package_show`` plus a few fields of ours) into rdflib graphs that conform to the
DCAT-AP 3.0.0 SHACL shapes, and serialise them as JSON-LD, Turtle or RDF/XML.

The shapes are checked without RDFS inference, so every node used as the object of a
class-constrained property is typed here explicitly (EU authority concepts, IANA media types,
access URLs), even where the type would otherwise follow from the vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, SKOS

__all__ = ["FORMATS", "catalog_graph", "dataset_graph", "serialize"]

FORMATS: dict[str, tuple[str, str]] = {
    "jsonld": ("json-ld", "application/ld+json"),
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("xml", "application/rdf+xml"),
}

# rdflib's own DCAT namespace is closed over DCAT 2 terms; DCAT-AP 3 needs dcat:version.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")

_AUTHORITY = "http://publications.europa.eu/resource/authority/"
DATA_THEME = Namespace(_AUTHORITY + "data-theme/")
DATA_THEME_SCHEME = URIRef(_AUTHORITY + "data-theme")
FREQUENCY = Namespace(_AUTHORITY + "frequency/")
FILE_TYPE = Namespace(_AUTHORITY + "file-type/")
LANGUAGE = Namespace(_AUTHORITY + "language/")
MEDIA_TYPE = Namespace("https://www.iana.org/assignments/media-types/")

_PREFIXES: dict[str, str] = {
    prefix: str(namespace)
    for prefix, namespace in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("spdx", SPDX),
        ("skos", SKOS),
        ("adms", ADMS),
        ("owl", OWL),
        ("xsd", XSD),
        ("locn", LOCN),
        ("rdf", RDF),
        ("rdfs", RDFS),
    )
}

# EU data-theme concepts need a skos:prefLabel in our own graph (skos:ConceptShape), so only
# codes with a known label are emitted; the English labels are the authority table's own.
_THEMES: dict[str, tuple[str, str]] = {
    "AGRI": ("Agriculture, fisheries, forestry and food", "Nông nghiệp, thủy sản, lâm nghiệp"),
    "ECON": ("Economy and finance", "Kinh tế và tài chính"),
    "EDUC": ("Education, culture and sport", "Giáo dục, văn hóa và thể thao"),
    "ENER": ("Energy", "Năng lượng"),
    "ENVI": ("Environment", "Môi trường"),
    "GOVE": ("Government and public sector", "Chính phủ và khu vực công"),
    "HEAL": ("Health", "Y tế"),
    "INTR": ("International issues", "Các vấn đề quốc tế"),
    "JUST": ("Justice, legal system and public safety", "Tư pháp, pháp luật và an toàn công cộng"),
    "REGI": ("Regions and cities", "Vùng và đô thị"),
    "SOCI": ("Population and society", "Dân số và xã hội"),
    "TECH": ("Science and technology", "Khoa học và công nghệ"),
    "TRAN": ("Transport", "Giao thông vận tải"),
}

_FREQUENCIES: dict[str, str] = {
    "annual": "ANNUAL",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "weekly": "WEEKLY",
    "daily": "DAILY",
    "irregular": "IRREG",
    "never": "NEVER",
}

_LANGUAGES: dict[str, str] = {"vi": "VIE", "en": "ENG", "fr": "FRA", "zh": "ZHO"}

# CKAN format strings are free text; keys are normalised by _format_key.
_FILE_TYPES: dict[str, tuple[str, str | None]] = {
    "CSV": ("CSV", "text/csv"),
    "TSV": ("TSV", "text/tab-separated-values"),
    "XLSX": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "XLS": ("XLS", "application/vnd.ms-excel"),
    "ODS": ("ODS", "application/vnd.oasis.opendocument.spreadsheet"),
    "JSON": ("JSON", "application/json"),
    "GEOJSON": ("GEOJSON", "application/geo+json"),
    "JSON_LD": ("JSON_LD", "application/ld+json"),
    "JSONLD": ("JSON_LD", "application/ld+json"),
    "XML": ("XML", "application/xml"),
    "RDF": ("RDF_XML", "application/rdf+xml"),
    "RDF_XML": ("RDF_XML", "application/rdf+xml"),
    "TTL": ("RDF_TURTLE", "text/turtle"),
    "TURTLE": ("RDF_TURTLE", "text/turtle"),
    "RDF_TURTLE": ("RDF_TURTLE", "text/turtle"),
    "PDF": ("PDF", "application/pdf"),
    "ZIP": ("ZIP", "application/zip"),
    "DOCX": ("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "DOC": ("DOC", "application/msword"),
    "TXT": ("TXT", "text/plain"),
    "HTML": ("HTML", "text/html"),
    "KML": ("KML", "application/vnd.google-earth.kml+xml"),
    "KMZ": ("KMZ", "application/vnd.google-earth.kmz"),
    "SHP": ("SHP", None),
    "GPKG": ("GPKG", "application/geopackage+sqlite3"),
    "PARQUET": ("PARQUET", None),
}

_CHECKSUM_ALGORITHMS = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"})
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
_MIMETYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
# Characters that are legal in neither IRIs nor N-Triples/Turtle IRI references.
_IRI_UNSAFE = re.compile(r'[\s<>"{}|\\^`]')


def dataset_graph(package: Mapping[str, Any], *, base_url: str) -> Graph:
    """Describe one CKAN package as a dcat:Dataset with its distributions."""
    graph = _new_graph()
    _add_dataset(graph, package, base_url.rstrip("/"))
    return graph


def catalog_graph(
    site: Mapping[str, Any], packages: Iterable[Mapping[str, Any]], *, base_url: str
) -> Graph:
    """Describe the portal as a dcat:Catalog together with every public dataset in it.

    Private and non-active packages are left out whatever the caller passes: the catalogue is
    what harvesters are allowed to copy.
    """
    base = base_url.rstrip("/")
    graph = _new_graph()
    catalog = URIRef(f"{base}/catalog")
    graph.add((catalog, RDF.type, DCAT.Catalog))

    title = _text(site.get("title"))
    _add(graph, catalog, DCTERMS.title, _literal(title, "vi"))
    _add(graph, catalog, DCTERMS.title, _literal(site.get("title_en"), "en"))
    # dct:description is mandatory for a catalogue.
    description = _text(site.get("description")) or title
    _add(graph, catalog, DCTERMS.description, _literal(description, "vi"))
    _add(graph, catalog, DCTERMS.description, _literal(site.get("description_en"), "en"))

    publisher = site.get("publisher")
    if isinstance(publisher, Mapping):
        _add(graph, catalog, DCTERMS.publisher, _add_agent(graph, publisher, base))

    homepage = _iri(site.get("url"), base)
    if homepage is not None:
        graph.add((catalog, FOAF.homepage, homepage))
        graph.add((homepage, RDF.type, FOAF.Document))

    for language in _languages(site.get("language")):
        graph.add((catalog, DCTERMS.language, language))
        graph.add((language, RDF.type, DCTERMS.LinguisticSystem))

    latest: datetime | None = None
    for package in packages:
        if package.get("private") or (package.get("state") or "active") != "active":
            continue
        graph.add((catalog, DCAT.dataset, _add_dataset(graph, package, base)))
        modified = _parse_when(package.get("metadata_modified"))
        if isinstance(modified, datetime) and (latest is None or modified > latest):
            latest = modified

    # Without an explicit date, the catalogue last changed when its newest dataset did.
    modified_literal = _when(site.get("modified"))
    if modified_literal is None and latest is not None:
        modified_literal = Literal(latest)
    _add(graph, catalog, DCTERMS.modified, modified_literal)

    if (None, SKOS.inScheme, DATA_THEME_SCHEME) in graph:
        graph.add((catalog, DCAT.themeTaxonomy, DATA_THEME_SCHEME))
    return graph


def serialize(graph: Graph, fmt: str) -> tuple[bytes, str]:
    """Serialise ``graph`` as one of FORMATS; return the UTF-8 body and its content type."""
    try:
        rdf_format, content_type = FORMATS[fmt]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ValueError(f"unknown RDF format {fmt!r}; expected one of: {known}") from None
    if rdf_format == "json-ld":
        # Without a context rdflib writes every term as a full IRI; the bound prefixes keep the
        # document compact while remaining self-contained (no remote context to fetch).
        context = {prefix: str(uri) for prefix, uri in graph.namespaces() if prefix in _PREFIXES}
        body = graph.serialize(format=rdf_format, context=context, encoding="utf-8")
    else:
        body = graph.serialize(format=rdf_format, encoding="utf-8")
    return body, content_type


def _new_graph() -> Graph:
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in _PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def _add_dataset(graph: Graph, package: Mapping[str, Any], base: str) -> URIRef:
    name = _text(package.get("name")) or _text(package.get("id")) or ""
    page = f"{base}/dataset/{_segment(name)}"
    dataset = URIRef(page)
    graph.add((dataset, RDF.type, DCAT.Dataset))
    _add(graph, dataset, DCTERMS.identifier, _literal(package.get("id")))

    title = _text(package.get("title")) or name
    _add(graph, dataset, DCTERMS.title, _literal(title, "vi"))
    _add(graph, dataset, DCTERMS.title, _literal(package.get("title_en"), "en"))
    # DCAT-AP makes dct:description mandatory while CKAN lets notes be empty.
    _add(graph, dataset, DCTERMS.description, _literal(package.get("notes") or title, "vi"))
    _add(graph, dataset, DCTERMS.description, _literal(package.get("notes_en"), "en"))

    for tag in _mappings_or_strings(package.get("tags")):
        keyword = tag.get("display_name") or tag.get("name")
        _add(graph, dataset, DCAT.keyword, _literal(keyword, "vi"))

    for group in _mappings(package.get("groups")):
        for theme in _add_themes(graph, group, base):
            graph.add((dataset, DCAT.theme, theme))

    organization = package.get("organization")
    if isinstance(organization, Mapping):
        _add(graph, dataset, DCTERMS.publisher, _add_agent(graph, organization, base))

    _add(graph, dataset, DCAT.contactPoint, _add_contact(graph, package))
    _add(graph, dataset, DCTERMS.issued, _when(package.get("metadata_created")))
    _add(graph, dataset, DCTERMS.modified, _when(package.get("metadata_modified")))

    version = _literal(package.get("version"))
    # owl:versionInfo is what DCAT-AP 2 harvesters read; DCAT-AP 3 renamed it dcat:version.
    _add(graph, dataset, OWL.versionInfo, version)
    _add(graph, dataset, DCAT.version, version)

    frequency = _FREQUENCIES.get((_text(package.get("frequency")) or "").lower())
    if frequency is not None:
        graph.add((dataset, DCTERMS.accrualPeriodicity, FREQUENCY[frequency]))
        graph.add((FREQUENCY[frequency], RDF.type, DCTERMS.Frequency))

    _add(graph, dataset, DCTERMS.temporal, _add_period(graph, package))
    for place in _mappings(package.get("spatial")):
        _add(graph, dataset, DCTERMS.spatial, _add_location(graph, place))

    for language in _languages(package.get("language")):
        graph.add((dataset, DCTERMS.language, language))
        graph.add((language, RDF.type, DCTERMS.LinguisticSystem))

    landing_page = _iri(package.get("url"), base) or dataset
    graph.add((dataset, DCAT.landingPage, landing_page))
    graph.add((landing_page, RDF.type, FOAF.Document))

    lineage = _literal(package.get("lineage"), "vi")
    if lineage is not None:
        provenance = BNode()
        graph.add((provenance, RDF.type, DCTERMS.ProvenanceStatement))
        graph.add((provenance, RDFS.label, lineage))
        graph.add((dataset, DCTERMS.provenance, provenance))

    license_document = _add_license(graph, package, base)
    for resource in _mappings(package.get("resources")):
        distribution = _add_distribution(graph, resource, page, base, license_document)
        graph.add((dataset, DCAT.distribution, distribution))
    return dataset


def _add_distribution(
    graph: Graph,
    resource: Mapping[str, Any],
    dataset_page: str,
    base: str,
    license_document: URIRef | None,
) -> URIRef | BNode:
    resource_id = _text(resource.get("id"))
    distribution: URIRef | BNode = (
        URIRef(f"{dataset_page}/resource/{_segment(resource_id)}") if resource_id else BNode()
    )
    graph.add((distribution, RDF.type, DCAT.Distribution))
    _add(graph, distribution, DCTERMS.title, _literal(resource.get("name"), "vi"))
    _add(graph, distribution, DCTERMS.description, _literal(resource.get("description"), "vi"))

    url = _iri(resource.get("url"), base)
    # dcat:accessURL is mandatory; the resource page is the best access point we have left.
    access_url = url if url is not None else distribution
    graph.add((distribution, DCAT.accessURL, access_url))
    graph.add((access_url, RDF.type, RDFS.Resource))
    if url is not None:
        graph.add((distribution, DCAT.downloadURL, url))

    format_text = _text(resource.get("format"))
    file_type = _FILE_TYPES.get(_format_key(format_text)) if format_text else None
    if file_type is not None:
        graph.add((distribution, DCTERMS["format"], FILE_TYPE[file_type[0]]))
        graph.add((FILE_TYPE[file_type[0]], RDF.type, DCTERMS.MediaTypeOrExtent))
    elif format_text:
        # dct:format must be a node; an unlisted format keeps its name as a label.
        unlisted = BNode()
        graph.add((unlisted, RDF.type, DCTERMS.MediaTypeOrExtent))
        graph.add((unlisted, RDFS.label, Literal(format_text)))
        graph.add((distribution, DCTERMS["format"], unlisted))

    mimetype = _mimetype(resource.get("mimetype")) or (file_type[1] if file_type else None)
    if mimetype is not None:
        graph.add((distribution, DCAT.mediaType, MEDIA_TYPE[mimetype]))
        graph.add((MEDIA_TYPE[mimetype], RDF.type, DCTERMS.MediaType))

    size = _byte_size(resource.get("size"))
    if size is not None:
        graph.add((distribution, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))

    _add(graph, distribution, SPDX.checksum, _add_checksum(graph, resource.get("hash")))

    if license_document is not None:
        graph.add((distribution, DCTERMS.license, license_document))
    _add(graph, distribution, DCTERMS.issued, _when(resource.get("created")))
    _add(graph, distribution, DCTERMS.modified, _when(resource.get("last_modified")))
    return distribution


def _add_agent(graph: Graph, agent: Mapping[str, Any], base: str) -> URIRef | BNode | None:
    name = _text(agent.get("name"))
    label = _text(agent.get("title")) or name
    if label is None:
        return None
    node: URIRef | BNode = URIRef(f"{base}/organization/{_segment(name)}") if name else BNode()
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, RDF.type, FOAF.Organization))
    graph.add((node, FOAF.name, Literal(label, lang="vi")))
    _add(graph, node, FOAF.name, _literal(agent.get("title_en"), "en"))
    _add(graph, node, DCTERMS.identifier, _literal(agent.get("agency_code")))
    return node


def _add_contact(graph: Graph, package: Mapping[str, Any]) -> BNode | None:
    # The same fallback as ckanext-dcat: the maintainer is the contact, else the author.
    for role in ("maintainer", "author"):
        name = _text(package.get(role))
        email = _text(package.get(f"{role}_email"))
        if name or (email and "@" in email):
            break
    else:
        return None
    contact = BNode()
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, RDF.type, VCARD.Organization))
    _add(graph, contact, VCARD.fn, _literal(name, "vi"))
    if email and "@" in email:
        mailto = email if email.lower().startswith("mailto:") else f"mailto:{email}"
        graph.add((contact, VCARD.hasEmail, URIRef(_escape_iri(mailto))))
    return contact


def _add_themes(graph: Graph, group: Mapping[str, Any], base: str) -> Iterator[URIRef]:
    name = _text(group.get("name"))
    if name:
        concept = URIRef(f"{base}/group/{_segment(name)}")
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.prefLabel, Literal(_text(group.get("title")) or name, lang="vi")))
        _add(graph, concept, SKOS.prefLabel, _literal(group.get("title_en"), "en"))
        yield concept
    code = (_text(group.get("eu_theme")) or "").upper()
    if code in _THEMES:
        concept = DATA_THEME[code]
        english, vietnamese = _THEMES[code]
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.prefLabel, Literal(english, lang="en")))
        graph.add((concept, SKOS.prefLabel, Literal(vietnamese, lang="vi")))
        graph.add((concept, SKOS.inScheme, DATA_THEME_SCHEME))
        graph.add((DATA_THEME_SCHEME, RDF.type, SKOS.ConceptScheme))
        graph.add((DATA_THEME_SCHEME, DCTERMS.title, Literal("Data theme", lang="en")))
        yield concept


def _add_period(graph: Graph, package: Mapping[str, Any]) -> BNode | None:
    start = _when(package.get("temporal_start"))
    end = _when(package.get("temporal_end"))
    if start is None and end is None:
        return None
    period = BNode()
    graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
    _add(graph, period, DCAT.startDate, start)
    _add(graph, period, DCAT.endDate, end)
    return period


def _add_location(graph: Graph, place: Mapping[str, Any]) -> BNode | None:
    code = _literal(place.get("code"))
    label = _literal(place.get("name"), "vi")
    if code is None and label is None:
        return None
    location = BNode()
    graph.add((location, RDF.type, DCTERMS.Location))
    _add(graph, location, SKOS.prefLabel, label)
    # The GSO administrative-unit code; it has no published IRIs to point at.
    _add(graph, location, DCTERMS.identifier, code)
    return location


def _add_license(graph: Graph, package: Mapping[str, Any], base: str) -> URIRef | None:
    document = _iri(package.get("license_url"), base)
    if document is None:
        return None
    graph.add((document, RDF.type, DCTERMS.LicenseDocument))
    _add(graph, document, RDFS.label, _literal(package.get("license_title")))
    return document


def _add_checksum(graph: Graph, value: Any) -> BNode | None:
    algorithm, _, digest = (_text(value) or "").partition(":")
    algorithm = algorithm.strip().lower().replace("-", "")
    digest = digest.strip()
    if algorithm not in _CHECKSUM_ALGORITHMS or not _HEX.fullmatch(digest):
        return None
    checksum = BNode()
    algorithm_iri = SPDX[f"checksumAlgorithm_{algorithm}"]
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, algorithm_iri))
    graph.add((algorithm_iri, RDF.type, SPDX.ChecksumAlgorithm))
    # SPDX writes digests in lower case.
    graph.add((checksum, SPDX.checksumValue, Literal(digest.lower(), datatype=XSD.hexBinary)))
    return checksum


def _add(
    graph: Graph, subject: URIRef | BNode, predicate: URIRef, obj: URIRef | BNode | Literal | None
) -> None:
    if obj is not None:
        graph.add((subject, predicate, obj))


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _literal(value: Any, lang: str | None = None) -> Literal | None:
    text = _text(value)
    return None if text is None else Literal(text, lang=lang)


def _mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list | tuple):
        yield from (item for item in value if isinstance(item, Mapping))


def _mappings_or_strings(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, str):
                yield {"name": item}
            elif isinstance(item, Mapping):
                yield item


def _segment(value: str | None) -> str:
    return quote(value or "", safe="")


def _escape_iri(text: str) -> str:
    return _IRI_UNSAFE.sub(lambda match: quote(match.group(), safe=""), text)


def _iri(value: Any, base: str) -> URIRef | None:
    text = _text(value)
    if text is None:
        return None
    if not urlsplit(text).scheme:
        # Relative links (uploads stored as paths) are relative to the portal.
        text = urljoin(base + "/", text)
    return URIRef(_escape_iri(text))


def _languages(value: Any) -> Iterator[URIRef]:
    codes = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for code in codes:
        primary = (_text(code) or "").split("-")[0].split("_")[0]
        if primary.lower() in _LANGUAGES:
            yield LANGUAGE[_LANGUAGES[primary.lower()]]
        elif len(primary) == 3 and primary.isalpha():
            yield LANGUAGE[primary.upper()]


def _format_key(text: str) -> str:
    return re.sub(r"[\s/-]+", "_", text.strip().lstrip(".").upper())


def _mimetype(value: Any) -> str | None:
    text = (_text(value) or "").split(";")[0].strip().lower()
    return text if _MIMETYPE.fullmatch(text) else None


def _byte_size(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = _text(value)
    return int(text) if text is not None and text.isdigit() else None


def _parse_when(value: Any) -> date | datetime | None:
    if isinstance(value, datetime):
        parsed: date | datetime = value
    elif isinstance(value, date):
        return value
    else:
        text = _text(value)
        if text is None:
            return None
        try:
            parsed = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        # Naive timestamps are local time, as everywhere else in the platform.
        parsed = parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return parsed


def _when(value: Any) -> Literal | None:
    """xsd:date for a calendar day, xsd:dateTime for an instant; both are valid in DCAT-AP."""
    parsed = _parse_when(value)
    return None if parsed is None else Literal(parsed)
