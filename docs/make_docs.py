"""Write docs/queries.md from the headers of the library queries: `make docs`.

The page is generated so that it cannot drift from the queries; a test compares the committed
page with what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aimsgraph import library

PAGE = Path(__file__).resolve().parent / "queries.md"
INTRODUCTION = """# The query library

aimsgraph ships these SPARQL queries in `queries/`. Each starts with a metadata header (id, title,
description, the clauses it speaks to, typed parameters with defaults, result columns); run one
with `aimsgraph query --name ID PATH... [--param name=value]`, over HTTP with
`GET /v1/queries/ID?name=value`, and list them with `aimsgraph queries`. Your own `.rq` file runs
the same way (`aimsgraph query my.rq PATH...`), header optional.

Parameters are typed (`date`, `integer`, `decimal`, `boolean`, `string`, `iri`). Their values are
bound by a `VALUES` block at the start of the query's WHERE group, built from terms that Oxigraph
serialises, so no value can change the query. Use a parameter at the top level of the WHERE group,
in a FILTER of an OPTIONAL group, or inside FILTER (NOT) EXISTS; a UNION branch or a subquery is
evaluated on its own and does not see it. (Oxigraph's own `substitutions` would bind everywhere,
but only for variables the query projects.) A date default may be `today` or relative to an
earlier date parameter (`asOf+30d`). Columns listed under `lists` hold several IRIs joined by `|`,
sorted.

Output formats: `table` (default), `json` and `xml` (SPARQL 1.1 Query Results JSON and XML), `csv`,
`tsv` (SPARQL 1.1 CSV/TSV), and `turtle` for CONSTRUCT and DESCRIBE. The service's
`GET /v1/queries/{id}` gives the same rows in the same four result formats. A query that calls
`SERVICE` is refused unless `--allow-service` is given: Oxigraph would call the remote endpoint as
soon as the query is run.

The examples run on the example organisation; `aimsgraph gaps` combines `clause-coverage` and
`audit-readiness` with the validation findings.
"""
EXAMPLES = {
    "ai-system-scorecard": "--param asOf=2026-11-26",
    "audit-readiness": "--param asOf=2026-11-26",
    "control-evidence": "--param asOf=2026-11-26 --format csv",
    "evidence-expiry": "--param asOf=2026-11-26 --param horizon=2027-02-28",
    "expired-risk-acceptances": "--param asOf=2028-01-01",
    "overdue-corrective-actions": "--param asOf=2026-11-26 --format csv",
    "statement-of-applicability": "--format csv > soa.csv",
    "responsibilities": "--format json",
}


def page() -> str:
    """Give the text of docs/queries.md."""
    lines = [INTRODUCTION]
    for d in library.library():
        lists = f" (lists: {', '.join(f'`{c}`' for c in d.lists)})" if d.lists else ""
        lines += [f"## {d.id}", "", f"**{d.title}.** {d.description}", "", f"- Clauses: {', '.join(d.clauses)}"]
        lines += [f"- Parameter `{p.name}` ({p.type.value}, default `{p.default}`): {p.description}" for p in d.params]
        lines += [] if d.params else ["- Parameters: none"]
        lines += [f"- Columns: {', '.join(f'`{c}`' for c in d.columns)}{lists}", ""]
        command = f"aimsgraph query --name {d.id} examples/kestrel {EXAMPLES.get(d.id, '')}".rstrip()
        lines += ["```sh", command, "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    PAGE.write_text(page(), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")
