"""Re-validation after a change (incremental.Session) gives the report a full validation gives.

The oracle is full validation of the same files: after random edits (triples dropped, added,
moved between subjects, objects and types changed) the two reports must be the same, finding
for finding, lines and AI systems included.
"""

from __future__ import annotations

import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pyoxigraph
import pytest
from rdflib import URIRef

from aimsgraph import dependencies, incremental, load, shacl_run
from aimsgraph.errors import InputError
from aimsgraph.formats import RdfFormat
from aimsgraph.model import Inference, ValidationReport
from aimsgraph.validate import _bundled_shapes, validation_of
from tests.conftest import EXAMPLE_AS_OF, ROOT

sys.path.insert(0, str(ROOT / "bench"))

from generate import generate

AS_OF = EXAMPLE_AS_OF
EXAMPLE = ROOT / "examples" / "kestrel"
SH = "http://www.w3.org/ns/shacl#"


def _key(report: ValidationReport) -> tuple[object, ...]:
    """The report, with blank nodes unnamed: each parse names them afresh."""

    def term(text: str) -> str:
        return "_:b" if text.startswith("_:") else text

    findings = sorted(
        (
            f.rule,
            term(f.focus_node),
            f.path,
            None if f.value is None else (f.value.kind, "_:b" if f.value.kind.value == "blank" else f.value.value),
            f.location,
            f.ai_system,
            f.focus_label,
            f.suppressed,
            f.message,
            f.severity,
        )
        for f in report.findings
    )
    return (findings, report.counts, report.triples, report.checked_requirements, report.unused_waivers)


def _ntriples(quads: list[pyoxigraph.Quad]) -> bytes:
    triples = [pyoxigraph.Quad(q.subject, q.predicate, q.object) for q in quads]
    return pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES) or b""


def _edit(rng: random.Random, quads: list[pyoxigraph.Quad], everything: list[pyoxigraph.Quad]) -> list[pyoxigraph.Quad]:
    """One random change to a file's triples, drawn from the terms the data uses."""
    quads = list(quads)
    kind = rng.randrange(5)
    if kind == 0 and quads:  # drop some
        for _ in range(rng.randint(1, 5)):
            if quads:
                quads.pop(rng.randrange(len(quads)))
    elif kind == 1:  # add a statement made of parts found elsewhere
        for _ in range(rng.randint(1, 3)):
            a, b = rng.choice(everything), rng.choice(everything)
            quads.append(pyoxigraph.Quad(a.subject, b.predicate, b.object))
    elif kind == 2 and quads:  # move a statement to another subject
        i, other = rng.randrange(len(quads)), rng.choice(everything)
        quads[i] = pyoxigraph.Quad(other.subject, quads[i].predicate, quads[i].object)
    elif kind == 3 and quads:  # another value of the same property
        i = rng.randrange(len(quads))
        values = [q.object for q in everything if q.predicate == quads[i].predicate]
        quads[i] = pyoxigraph.Quad(quads[i].subject, quads[i].predicate, rng.choice(values))
    else:  # give something another type
        typed = [q for q in everything if q.predicate.value.endswith("#type")]
        quads.append(pyoxigraph.Quad(rng.choice(everything).subject, typed[0].predicate, rng.choice(typed).object))
    return quads


def _random_edits(sources: list[load.SourceFile], seed: int, edits: int) -> None:
    session = incremental.Session(AS_OF)
    session.open(sources)
    current = {source.name: source for source in sources}
    everything = [quad for source in sources for quad in load.parse_quads(source)]
    rng = random.Random(seed)
    partial = 0
    for step in range(edits):
        name = rng.choice(sorted(current))
        content = _ntriples(_edit(rng, load.parse_quads(current[name]), everything))
        current[name] = load.SourceFile(name, content, RdfFormat.TURTLE, current[name].base_iri)
        got = session.update([current[name]])
        partial += session.last.full is None
        want = validation_of(load.load(list(current.values())), as_of=AS_OF).report()
        assert _key(got) == _key(want), f"edit {step} of seed {seed} ({name}): {session.last}"
    assert partial, "every change was validated in full: the incremental path was never taken"


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_of_the_example_give_the_full_report(seed: int) -> None:
    _random_edits(load.collect([str(EXAMPLE)]), seed, edits=20)


def test_random_edits_of_a_generated_aims_give_the_full_report() -> None:
    lines = list(generate(24, 11))
    parts = [lines[i::4] for i in range(4)]  # each file holds statements about many resources
    sources = [
        load.SourceFile(f"part-{i}.nt", ("\n".join(part) + "\n").encode(), RdfFormat.NTRIPLES, "file:///")
        for i, part in enumerate(parts)
    ]
    _random_edits(sources, 3, edits=15)


def _session_on_example() -> tuple[incremental.Session, dict[str, load.SourceFile]]:
    sources = load.collect([str(EXAMPLE)])
    session = incremental.Session(AS_OF)
    session.open(sources)
    return session, {Path(source.name).name: source for source in sources}


def _with(source: load.SourceFile, old: str, new: str) -> load.SourceFile:
    text = source.content.decode()
    assert old in text
    return load.SourceFile(source.name, text.replace(old, new, 1).encode(), source.rdf_format, source.base_iri)


def test_a_fix_and_a_new_gap_show_and_only_what_they_touch_runs_again() -> None:
    session, files = _session_on_example()
    before = session.update([])
    systems = files["systems.ttl"]
    text = systems.content.decode()
    owner = next(line for line in text.splitlines() if "aims:accountableOwner" in line)
    report = session.update([_with(systems, owner, "")])
    assert session.last.full is None
    assert 0 < session.last.checks < 40, "a change to one property ran nearly every check again"
    new = {f.fingerprint for f in report.findings} - {f.fingerprint for f in before.findings}
    assert new, "removing an accountable owner raised no finding"
    assert any(f.rule == "AISystemAccountableOwner" for f in report.findings if f.fingerprint in new)
    back = session.update([systems])
    assert _key(back) == _key(before)


def test_a_file_that_does_not_parse_changes_nothing() -> None:
    session, files = _session_on_example()
    before = session.update([])
    broken = _with(files["risks.ttl"], "a aims:RiskAssessment ;", "a aims:RiskAssessment ;; ]")
    with pytest.raises(InputError) as raised:
        session.update([broken])
    assert "risks.ttl" in str(raised.value)
    assert _key(session.update([])) == _key(before)


def test_files_added_and_removed() -> None:
    session, files = _session_on_example()
    removed = session.update([], removed=[files["audits.ttl"].name])
    without = [source for name, source in files.items() if name != "audits.ttl"]
    assert _key(removed) == _key(validation_of(load.load(without), as_of=AS_OF).report())
    added = session.update([files["audits.ttl"]])
    assert _key(added) == _key(validation_of(load.load([*without, files["audits.ttl"]]), as_of=AS_OF).report())


def test_what_cannot_be_followed_is_validated_in_full() -> None:
    session, files = _session_on_example()
    redefining = load.SourceFile(
        "redefines.ttl",
        b'<https://w3id.org/aimsgraph/ns#AISystem> <http://www.w3.org/2000/01/rdf-schema#label> "x" .\n',
        RdfFormat.TURTLE,
        "file:///",
    )
    report = session.update([redefining])
    assert session.last.full is not None and "redefines" in session.last.full
    assert _key(report) == _key(validation_of(load.load([*files.values(), redefining]), as_of=AS_OF).report())

    inferring = incremental.Session(AS_OF, inference=Inference.RDFS)
    inferring.open(list(files.values()))
    inferring.update([files["soa.ttl"]])
    assert inferring.last.full == "inference is on"


def test_the_selects_for_few_select_what_their_targets_select() -> None:
    """aims:selectForFew must give exactly what the target's sh:select gives."""
    shapes = _bundled_shapes()
    targets = [
        (str(shapes.value(target, URIRef(SH + "select"))), str(few))
        for target, few in shapes.subject_objects(URIRef("https://w3id.org/aimsgraph/ns#selectForFew"))
    ]
    assert targets, "no bundled target has a select for few"
    undeclared = (
        b"@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
        b"<https://x.example/a> a aims:AISystem ; aims:acountableOwner <https://x.example/b> .\n"
        b"<https://x.example/b> a aims:Team ; aims:memberOf aims:NoSuchThing .\n"
        b"_:c a aims:Team ; aims:colour aims:Red .\n"
    )
    sources = [*load.collect([str(EXAMPLE)]), load.SourceFile("u.ttl", undeclared, RdfFormat.TURTLE, "file:///")]
    store = load.oxigraph_store(load.load(sources).quads)
    for select, few in targets:
        everywhere = {row[0] for row in store.query(select)}  # type: ignore[union-attr]
        assert len(everywhere) >= 3
        assert {row[0] for row in store.query(few)} == everywhere  # type: ignore[union-attr]


def _affected(query: str, data: str, change: str, *, removed: bool = False) -> set[str] | None:
    store = pyoxigraph.Store()
    store.load(data.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    changed = list(pyoxigraph.parse(change.encode(), format=pyoxigraph.RdfFormat.TURTLE))
    changed = [pyoxigraph.Quad(q.subject, q.predicate, q.object) for q in changed]
    if not removed:
        store.extend(changed)
    analysis = dependencies.analyse(query)
    assert analysis is not None
    view = dependencies.View(store, [] if removed else changed, changed if removed else [])
    found = analysis.affected(view, changed)
    return None if found is None else {node.value for node in found if isinstance(node, pyoxigraph.NamedNode)}


PREFIXES = "@prefix : <https://x.example/> .\n"


def test_a_change_affects_the_focus_nodes_it_reaches_through_the_query() -> None:
    query = (
        "SELECT ?this WHERE { ?this <https://x.example/p> ?x . FILTER NOT EXISTS { "
        "?x <https://x.example/q> ?y . FILTER EXISTS { ?y a <https://x.example/C> } } }"
    )
    data = PREFIXES + ":a :p :x . :b :p :z . :x :q :y ."
    # two hops back from a change to ?y's type, inside a NOT EXISTS inside a NOT EXISTS
    assert _affected(query, data, PREFIXES + ":y a :C .") == {"https://x.example/a"}
    assert _affected(query, data, PREFIXES + ":y a :C .", removed=True) == {"https://x.example/a"}
    assert _affected(query, data, PREFIXES + ":y :other :C .") == set()


def test_a_sub_select_s_own_variables_are_its_own_and_a_pattern_nothing_links_means_every_node() -> None:
    query = (
        "SELECT ?this WHERE { ?this <https://x.example/p> ?x . "
        "{ SELECT (COUNT(?x) AS ?n) WHERE { ?x a <https://x.example/C> } } }"
    )
    # the sub-SELECT's ?x is not the outer ?x: a count over the whole graph concerns every node
    assert _affected(query, PREFIXES + ":a :p :x .", PREFIXES + ":x a :C .") is None


def test_a_query_with_what_the_analysis_does_not_follow_is_not_analysed() -> None:
    assert dependencies.analyse("SELECT ?this WHERE { GRAPH ?g { ?this <https://x.example/p> ?x } }") is None


def test_narrowing_reaches_into_the_sub_selects_that_give_this() -> None:
    query = (
        "SELECT ?this WHERE { { SELECT DISTINCT ?this WHERE { ?this a <https://x.example/C> } } "
        "?this <https://x.example/p> ?v }"
    )
    values = {"this": "VALUES ?this { <https://x.example/a> }"}
    assert shacl_run.narrowed(query, values).count("VALUES ?this") == 2
    assert shacl_run.narrowed(query, values, deep=False).count("VALUES ?this") == 1
    sliced = query.replace("?this a <https://x.example/C> }", "?this a <https://x.example/C> } LIMIT 5")
    assert shacl_run.narrowed(sliced, values).count("VALUES ?this") == 1


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """Give the lines of ``stream`` as they come, read on a thread of their own."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    return lines


def _read_until(lines: queue.Queue[str], text: str, timeout: float = 60) -> str:
    """Take lines until one holds ``text``; give what was taken."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"no {text!r} in:\n{''.join(seen)}")


@contextmanager
def _watching(data: Path) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str]]]:
    """Run `aimsgraph watch` on ``data``; give the process and its output, a line at a time."""
    command = [str(Path(sys.executable).parent / "aimsgraph"), "watch", str(data), "--as-of", "2026-11-26"]
    watcher = subprocess.Popen(
        [*command, "--interval", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "CI": "true"},
    )
    try:
        assert watcher.stdout is not None
        yield watcher, _lines(watcher.stdout)
    finally:
        watcher.kill()


def test_watch_prints_what_a_change_raised_and_resolved_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "kestrel"
    shutil.copytree(EXAMPLE, data)
    with _watching(data) as (watcher, output):
        _read_until(output, "Watching")
        systems = data / "systems.ttl"
        original = systems.read_text(encoding="utf-8")
        owner = next(line for line in original.splitlines() if "aims:accountableOwner" in line)
        systems.write_text(original.replace(owner, "", 1), encoding="utf-8")
        raised = _read_until(output, "Result:")
        assert "systems.ttl" in raised and "1 new, 0 resolved" in raised and "check(s) again" in raised
        assert "rule AISystemAccountableOwner" in raised and f"at {systems}:" in raised
        (data / "risks.ttl").write_text("not turtle ;;\n", encoding="utf-8")
        assert "risks.ttl:1" in _read_until(output, "error")
        systems.write_text(original, encoding="utf-8")
        resolved = _read_until(output, "Result:")
        assert "0 new, 1 resolved" in resolved and "resolved  The AI system has no accountable owner" in resolved
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=30) == 0


def test_watch_started_on_a_broken_file_keeps_watching_until_it_is_fixed(tmp_path: Path) -> None:
    data = tmp_path / "kestrel"
    shutil.copytree(EXAMPLE, data)
    risks = data / "risks.ttl"
    original = risks.read_text(encoding="utf-8")
    risks.write_text("not turtle ;;\n", encoding="utf-8")
    with _watching(data) as (watcher, output):
        started = _read_until(output, "Watching")
        assert "risks.ttl:1" in started and "7 file(s) validated" in started  # the others, without it
        risks.write_text(original, encoding="utf-8")
        taken = _read_until(output, "Result:")
        assert "risks.ttl" in taken
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=30) == 0


def test_a_statement_two_files_make_stays_until_both_drop_it() -> None:
    session, files = _session_on_example()
    systems = files["systems.ttl"]
    owner = next(line for line in systems.content.decode().splitlines() if "aims:accountableOwner" in line)
    subject = "kst:sys-credit-scoring"
    twice = load.SourceFile(
        "twice.ttl",
        (
            "@prefix kst: <https://kestrel.example/aims/> .\n@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
            f"{subject} {owner.strip().rstrip(';').rstrip()} .\n"
        ).encode(),
        RdfFormat.TURTLE,
        "file:///",
    )
    before = session.update([twice])
    assert session.last.added == 0  # the store already had it
    dropped = session.update([_with(systems, owner, "")])
    assert session.last.removed == 0
    assert {f.fingerprint for f in dropped.findings} == {f.fingerprint for f in before.findings}
    both = session.update([], removed=["twice.ttl"])
    assert session.last.removed == 1
    assert any(f.rule == "AISystemAccountableOwner" for f in both.findings)
    without = [_with(systems, owner, ""), *(f for name, f in files.items() if name != "systems.ttl")]
    assert _key(both) == _key(validation_of(load.load(without), as_of=AS_OF).report())


# What a review found: each a sequence of changes after which the session and a full run differed.
TTL = (
    "@prefix ex: <https://x.example/> .\n@prefix aims: <https://w3id.org/aimsgraph/ns#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
    "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
)


def _turtle(name: str, text: str) -> load.SourceFile:
    return load.SourceFile(name, (TTL + text).encode(), RdfFormat.TURTLE, "file:///")


def _same_after(
    steps: list[list[load.SourceFile]], tmp_path: Path, *, shapes: str | None = None, order: list[str] | None = None
) -> incremental.Session:
    """Open a session on the first sources, apply each next list of changed sources, and require
    the report a full run on the same files gives after each."""
    shape_files = []
    if shapes is not None:
        (tmp_path / "shapes.ttl").write_text(TTL + shapes, encoding="utf-8")
        shape_files = [str(tmp_path / "shapes.ttl")]
    session = incremental.Session(AS_OF, shapes=shape_files)
    current = {source.name: source for source in steps[0]}
    session.open(list(current.values()))
    for step, changed in enumerate(steps[1:]):
        current.update({source.name: source for source in changed})
        names = order or list(current)
        got = session.update(changed, order=names)
        sources = [current[name] for name in names if name in current]
        want = validation_of(load.load(sources), as_of=AS_OF, shapes=shape_files).report()
        assert _key(got) == _key(want), f"step {step}: {session.last}"
        assert got.sources == want.sources and got.prefixes == want.prefixes
    return session


def _on_ai_systems(select: str) -> str:
    """A shape of one SPARQL constraint on every AI system."""
    return f'ex:Rule a sh:NodeShape ; sh:targetClass aims:AISystem ; sh:sparql [ sh:select """{select}""" ] .\n'


def test_a_variable_an_optional_part_leaves_unbound_matches_anything(tmp_path: Path) -> None:
    shapes = _on_ai_systems(
        "SELECT $this WHERE { OPTIONAL { $this <https://x.example/owner> ?o } "
        "FILTER NOT EXISTS { ?o <https://x.example/active> true } }"
    )
    systems = _turtle("s.ttl", "ex:a a aims:AISystem . ex:b a aims:AISystem ; ex:owner ex:x .\n")
    active = _turtle("x.ttl", "ex:x ex:active true .\n")
    _same_after([[systems, active], [_turtle("x.ttl", "ex:y ex:other 1 .\n")], [active]], tmp_path, shapes=shapes)


def test_a_filter_in_a_sub_select_that_asks_whether_something_matches(tmp_path: Path) -> None:
    shapes = _on_ai_systems(
        "SELECT $this WHERE { { SELECT DISTINCT ?this WHERE { ?this <https://x.example/score> ?s . "
        "FILTER (?s > 5) } } }"
    )
    low = _turtle("s.ttl", "ex:a a aims:AISystem ; ex:score 1 .\n")
    _same_after([[low], [_turtle("s.ttl", "ex:a a aims:AISystem ; ex:score 1, 9 .\n")], [low]], tmp_path, shapes=shapes)


def test_a_path_of_zero_length_links_any_node_to_itself(tmp_path: Path) -> None:
    shapes = (
        "ex:Parts a sh:NodeShape ; sh:targetNode ex:g ; sh:property [ sh:path [ sh:zeroOrMorePath ex:part ] ; "
        "sh:class aims:AISystem ] .\n"
    )
    _same_after(
        [[_turtle("a.ttl", "ex:h ex:q 1 .\n")], [_turtle("a.ttl", 'ex:g rdfs:label "G" .\n')]], tmp_path, shapes=shapes
    )


def test_a_message_does_not_depend_on_the_order_rows_come_in(tmp_path: Path) -> None:
    def evidence(*dates: str) -> load.SourceFile:
        collected = ", ".join(f'"{d}"^^xsd:date' for d in dates)
        return _turtle(
            "e.ttl",
            'ex:e a aims:Evidence ; rdfs:label "E" ; aims:validUntil "2022-01-01"^^xsd:date ; '
            f"aims:collectedOn {collected} .\n",
        )

    _same_after(
        [[evidence("2020-01-01", "2021-01-01")], [evidence("2021-01-01", "2020-01-01", "2019-06-01")]], tmp_path
    )


def test_a_statement_a_file_writes_twice_goes_when_the_file_drops_it(tmp_path: Path) -> None:
    twice = _turtle("a.ttl", "ex:s a aims:AISystem ; aims:accountableOwner ex:t . ex:s aims:accountableOwner ex:t .\n")
    _same_after([[twice], [_turtle("a.ttl", "ex:s a aims:AISystem .\n")]], tmp_path)


def test_a_new_file_takes_its_place_and_a_changed_one_leaves_no_literal_or_prefix_behind(tmp_path: Path) -> None:
    b = _turtle("b.ttl", 'ex:s a aims:AISystem ; rdfs:label "S" ; ex:size "01"^^xsd:integer .\n')
    fixed = load.SourceFile(
        "b.ttl", b"@prefix ex: <https://y.example/> .\nex:t ex:size 1 .\n", RdfFormat.TURTLE, "file:///"
    )
    a = _turtle("a.ttl", "ex:s a aims:AISystem .\n")
    session = _same_after([[b], [fixed], [a], [b]], tmp_path, order=["a.ttl", "b.ttl"])
    session.update([fixed], order=["a.ttl", "b.ttl"])
    session.update([a], order=["a.ttl", "b.ttl"])
    assert session.last.full is None, "a literal the store rewrote, gone from the data, still forced full runs"


def test_after_an_update_fails_the_next_validates_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    session, files = _session_on_example()
    systems = files["systems.ttl"]
    owner = next(line for line in systems.content.decode().splitlines() if "aims:accountableOwner" in line)

    def failing(*_: object) -> None:
        raise RuntimeError("simulated")

    monkeypatch.setattr(shacl_run, "rerun", failing)
    with pytest.raises(RuntimeError):
        session.update([_with(systems, owner, "")])
    monkeypatch.undo()
    report = session.update([_with(systems, owner, "")])
    assert session.last.full == "the last update failed"
    without = [_with(systems, owner, ""), *(f for name, f in files.items() if name != "systems.ttl")]
    assert _key(report) == _key(validation_of(load.load(without), as_of=AS_OF).report())
