"""`python -m aimsgraph`: the same CLI as the `aimsgraph` command."""

from aimsgraph.cli import app

app(prog_name="aimsgraph")
