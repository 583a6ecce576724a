"""The `vlkg` command line: build, query, validate, serve."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from vlkg.layout import DEFAULT_BUILD_DIR


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vlkg")
def main() -> None:
    """vlkg: the Vĩnh Lộc knowledge graph of Vietnamese local government."""


@main.command()
@click.option("--out", "out", type=click.Path(path_type=Path), default=DEFAULT_BUILD_DIR, show_default=True,
              help="Build directory: DIR/store and DIR/dumps are written there (atomically).")
@click.option("--data", "data_dir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              default=Path("data"), show_default=True, help="Sources and reviewed fact files.")
@click.option("--base-iri", "base_iri", metavar="IRI", default=None,
              help="Publish every IRI of the graph under this base (absolute http(s), ending in \"/\"), e.g. "
                   "https://data.example.org/vlkg/. [default: https://vinhloc-kg.example/]")
@click.option("--quiet", is_flag=True, help="No progress display.")
def build(out: Path, data_dir: Path, base_iri: str | None, quiet: bool) -> None:
    """Build the graph: registry, articles, SHACL, store and dumps."""
    from vlkg.ingest.build import run_build
    from vlkg.ingest.model import BuildError
    from vlkg.ingest.rebase import check_base_iri
    from vlkg.namespaces import BASE

    try:
        base_iri = check_base_iri(base_iri) if base_iri is not None else BASE
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--base-iri'") from None
    try:
        run_build(out=out, data_dir=data_dir, progress=not quiet, base_iri=base_iri)
    except BuildError as exc:
        click.secho(f"build failed: {exc}", fg="red", err=True)
        click.echo(f"The previous build in {out} (if any) is unchanged.", err=True)
        sys.exit(1)


@main.command()
@click.argument("sparql", required=False)
@click.option("--file", "query_file", type=click.File("r", encoding="utf-8"), help="Read the query from a file.")
@click.option("--store", "store_dir", type=click.Path(path_type=Path), default=DEFAULT_BUILD_DIR,
              show_default=True, help="Build directory or bare pyoxigraph store.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "tsv", "xml", "turtle", "ntriples"]),
              default="table", show_default=True, help="Output format.")
def query(sparql: str | None, query_file, store_dir: Path, fmt: str) -> None:
    """Run a SPARQL query (default graph = union of all graphs) and print the results."""
    from vlkg.query import QueryInputError, run_query

    if query_file is not None:
        sparql = query_file.read()
    if not sparql:
        raise click.UsageError("Give a query as an argument or with --file q.rq.")
    try:
        sys.stdout.write(run_query(store_dir, sparql, fmt))
    except QueryInputError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(2)


@main.command()
@click.option("--store", "store_dir", type=click.Path(path_type=Path), default=DEFAULT_BUILD_DIR,
              show_default=True, help="Build directory whose data is validated.")
@click.option("--engine", type=click.Choice(["core", "pyshacl"]), default="core", show_default=True,
              help="core: the build's fast evaluator; pyshacl: the reference implementation (minutes on the registry).")
def validate(store_dir: Path, engine: str) -> None:
    """Run the SHACL shapes over a built store and print a readable report."""
    from vlkg.ingest.shacl import validate_store

    ok, report = validate_store(store_dir, engine=engine)
    click.echo(report)
    sys.exit(0 if ok else 1)


def _register_serve() -> None:
    """`vlkg serve` lives with the server; attached here without importing Flask at start-up."""
    try:
        from vlkg.server.cli import serve
    except ImportError:  # the server CLI is not there yet
        return
    main.add_command(serve)


_register_serve()
