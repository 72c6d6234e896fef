"""$metadata: the entities as CSDL XML (OData v4.0), one EntityType and one EntitySet per entity, with each
entity's and column's description in the reader's language as a Core.Description annotation."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from django.utils.translation import get_language

NAMESPACE = "OpenJXC"
CONTAINER = "Container"
EDM_TYPES = {"string": "Edm.String", "int": "Edm.Int64", "decimal": "Edm.Decimal", "date": "Edm.Date",
             "datetime": "Edm.DateTimeOffset", "bool": "Edm.Boolean"}
CORE_VOCABULARY = "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml"


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _describe(text: str, indent: str) -> str:
    return f'{indent}<Annotation Term="Core.Description" String={quoteattr(text)}/>\n' if text else ""


def _property(column, key: tuple[str, ...]) -> str:
    type_ = EDM_TYPES.get(column.type, "Edm.String")
    attrs = f"Name={quoteattr(column.name)} Type={quoteattr(type_)}"
    if column.name in key:
        attrs += ' Nullable="false"'
    if column.type == "decimal":
        scale = getattr(column, "scale", None)
        attrs += f' Scale="{scale if isinstance(scale, int) else "variable"}"'
    label = column.label_zh if _zh() else column.label_en
    if not label:
        return f"        <Property {attrs}/>\n"
    return f"        <Property {attrs}>\n{_describe(label, '          ')}        </Property>\n"


def metadata_xml(entities, version) -> str:
    """The CSDL XML document of `entities` (Entity objects, in their order)."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">\n',
        f'  <edmx:Reference Uri="{CORE_VOCABULARY}">\n',
        '    <edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/>\n',
        "  </edmx:Reference>\n",
        "  <edmx:DataServices>\n",
        f'    <Schema Namespace="{NAMESPACE}" xmlns="http://docs.oasis-open.org/odata/ns/edm">\n',
    ]
    for entity in entities:
        out.append(f"      <EntityType Name={quoteattr(entity.name)}>\n        <Key>\n")
        out.extend(f"          <PropertyRef Name={quoteattr(k)}/>\n" for k in entity.key)
        out.append("        </Key>\n")
        out.extend(_property(c, entity.key) for c in entity.columns)
        out.append(_describe(entity.description_zh if _zh() else entity.description_en, "        "))
        out.append("      </EntityType>\n")
    out.append(f'      <EntityContainer Name="{CONTAINER}">\n')
    for entity in entities:
        out.append(f"        <EntitySet Name={quoteattr(entity.name)} "
                   f"EntityType={quoteattr(NAMESPACE + '.' + entity.name)}/>\n")
    out.append("      </EntityContainer>\n")
    out.append(f'      <Annotation Term="Core.SchemaVersion" String="{version}"/>\n')
    out.append("    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n")
    return "".join(out)
