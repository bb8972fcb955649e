"""Inference with owlrl, always on a copy: the caller's graph is never changed."""

from __future__ import annotations

import owlrl
from rdflib import Graph

from aimsgraph.model import Inference


def entail(graph: Graph, inference: Inference) -> Graph:
    """Give a new graph holding ``graph`` plus what ``inference`` entails from it."""
    closed = Graph()
    for prefix, namespace in graph.namespaces():
        closed.bind(prefix, namespace, override=False)
    closed += graph
    if inference is Inference.RDFS:
        owlrl.DeductiveClosure(owlrl.RDFS_Semantics).expand(closed)
    elif inference is Inference.OWLRL:
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closed)
    return closed
