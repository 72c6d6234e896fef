"""OData v4 feed over the BI entities (openjxc.bi.entities): service document, $metadata (CSDL XML) and one entity
set per entity, read-only, for Excel, Power BI and other BI tools on installs without direct database access.

`query.py` parses the system query options into parameterised SQL (never pasting a value into the text),
`sql.py` wraps an entity's SELECT with the caller's company, warehouses and cost masking and pages it (keyset on
the key when no $orderby is given), `payload.py` writes rows as OData JSON, `csdl.py` the metadata, `views.py` the
HTTP side (token auth, errors as OData error bodies)."""
