"""$metadata is CSDL XML that the OASIS schemas (edmx.xsd + edm.xsd, tests/bi/odata/fixtures/csdl) accept, and it
declares every entity with its key and typed properties."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from openjxc.bi.entities import ENTITIES, VERSION
from openjxc.bi.odata.csdl import EDM_TYPES

CSDL = Path(__file__).parent / "fixtures" / "csdl"
NS = {"edmx": "http://docs.oasis-open.org/odata/ns/edmx", "edm": "http://docs.oasis-open.org/odata/ns/edm"}


def metadata(client, trade, language="en"):
    response = client.get("/odata/$metadata", HTTP_ACCEPT_LANGUAGE=language, **trade.auth())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml") and response["OData-Version"] == "4.0"
    return etree.fromstring(response.content)


def test_metadata_is_valid_csdl(client, trade):
    schema = etree.XMLSchema(etree.parse(str(CSDL / "edmx.xsd")))
    for language in ("en", "zh-hans"):
        document = metadata(client, trade, language)
        assert schema.validate(document), schema.error_log
    # and the validation is real: a property without a type is refused
    document.find(".//edm:Property", NS).attrib.pop("Type")
    assert not schema.validate(document)


def test_metadata_declares_every_entity_with_key_and_types(client, trade):
    document = metadata(client, trade)
    types = {t.get("Name"): t for t in document.iterfind(".//edm:EntityType", NS)}
    sets = {s.get("Name"): s.get("EntityType") for s in document.iterfind(".//edm:EntitySet", NS)}
    assert list(types) == list(ENTITIES) and sets == {n: f"OpenJXC.{n}" for n in ENTITIES}
    for name, entity in ENTITIES.items():
        declared = types[name]
        assert [r.get("Name") for r in declared.iterfind("edm:Key/edm:PropertyRef", NS)] == list(entity.key)
        properties = {p.get("Name"): p for p in declared.iterfind("edm:Property", NS)}
        assert list(properties) == [c.name for c in entity.columns]
        for column in entity.columns:
            assert properties[column.name].get("Type") == EDM_TYPES[column.type]
    sales = {p.get("Name"): p for p in types["fact_sales_line"].iterfind("edm:Property", NS)}
    assert sales["revenue"].get("Type") == "Edm.Decimal" and sales["revenue"].get("Scale") == "variable"
    assert sales["day"].get("Type") == "Edm.Date" and sales["day"].get("Nullable") == "false"
    label = sales["revenue"].find("edm:Annotation", NS)
    assert label.get("Term") == "Core.Description" and label.get("String") == "Revenue (excl. VAT)"
    version = document.find(".//edm:Schema/edm:Annotation", NS)
    assert version.get("Term") == "Core.SchemaVersion" and version.get("String") == str(VERSION)


def test_metadata_labels_follow_the_language(client, trade):
    sales = metadata(client, trade, "zh-hans").find(".//edm:EntityType[@Name='fact_sales_line']", NS)
    revenue = sales.find("edm:Property[@Name='revenue']/edm:Annotation", NS)
    assert revenue.get("String") == "销售收入(不含税)"
