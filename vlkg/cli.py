"""The `vlkg` command line: build, query, validate, reconcile, serve."""

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


def _load_places(store_dir: Path, data_dir: Path):
    """Places over the unit index of a build (`DIR/current/units.json.gz`); the registry built from `data_dir` when
    there is no build (slower; said on stderr)."""
    from vlkg.layout import UNIT_INDEX
    from vlkg.places import Places
    from vlkg.units import Registry

    registry = Registry.of_build(store_dir)
    if registry is not None:
        return Places(registry)
    index = store_dir / "current" / UNIT_INDEX
    from vlkg.ingest.registry import build_registry

    click.echo(f"No unit index at {index} (run `vlkg build --out {store_dir}`, or pass --store DIR): "
               f"building the registry from {data_dir}/ instead.", err=True)
    return Places(build_registry(data_dir).registry)


def _parse_day(value: str):
    """'2021-12-22' or '22/12/2021' -> date; ValueError otherwise."""
    from datetime import datetime

    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


RECONCILE_COLUMNS = ("iri", "code", "label", "valid_from", "valid_through", "score", "match")


@main.command()
@click.argument("text", required=False)
@click.option("--date", "day", metavar="YYYY-MM-DD",
              help="The day the text speaks of, YYYY-MM-DD or DD/MM/YYYY (default: none; see above).")
@click.option("--level", type=click.Choice(["province", "district", "commune"]), help="Only units of this level.")
@click.option("--parent", metavar="NAME", help="A unit the place lies in (district or province).")
@click.option("--province", metavar="NAME", help="The province the place lies in.")
@click.option("--limit", type=click.IntRange(1, 100), default=5, show_default=True, help="Candidates to show.")
@click.option("--csv", "csv_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Reconcile a column of this CSV file (UTF-8) instead of TEXT.")
@click.option("--column", metavar="NAME", help="With --csv: the column holding the place names or codes.")
@click.option("--date-column", metavar="NAME", help="With --csv: the column holding each row's date.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              help="With --csv: write the result here (default: standard output).")
@click.option("--store", "store_dir", type=click.Path(path_type=Path), default=DEFAULT_BUILD_DIR,
              show_default=True, help="Build directory whose unit index is used.")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=Path("data"), show_default=True,
              help="Sources to build the registry from when --store holds no build.")
def reconcile(text: str | None, day: str | None, level: str | None, parent: str | None, province: str | None,
              limit: int, csv_file: Path | None, column: str | None, date_column: str | None, out: Path | None,
              store_dir: Path, data_dir: Path) -> None:
    """Find the unit version a place name, address or code denotes (on a date).

    \b
    vlkg reconcile "xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa" --date 2021-12-22
    vlkg reconcile --csv survey.csv --column commune --date 2021-12-22 --out linked.csv

    Without a date, an address naming a district is read as before the 2025 reform; otherwise the current
    unit is preferred. The CSV is written back with every row and column, and the columns iri, code, label,
    valid_from, valid_through, score and match added (the first candidate; match=true only when it is the
    one clear answer).
    """
    if csv_file is None:
        if not text:
            raise click.UsageError("Give a place name, address or code, or --csv FILE --column NAME.")
        if column or date_column or out:
            raise click.UsageError("--column, --date-column and --out go with --csv FILE.")
        try:
            on = _parse_day(day) if day else None
        except ValueError:
            raise click.BadParameter(f"{day!r} is not a date (YYYY-MM-DD)", param_hint="'--date'") from None
        places = _load_places(store_dir, data_dir)
        found = places.reconcile(text, on=on, level=level, parent=parent, province=province, limit=limit)
        if not found:
            click.echo(f"No unit matches {text!r}" + (f" on {on}" if on else "") + ".")
            sys.exit(1)
        for n, m in enumerate(found, 1):
            flag = "  MATCH" if m.match else ""
            click.echo(f"{n}. {m.unit.name}  (code {m.unit.code}, {m.unit.validity})  score {m.score:g}{flag}")
            click.echo(f"   {m.unit.iri.value}")
            click.echo(f"   {'; '.join(m.reasons)}")
        return
    if text:
        raise click.UsageError("Give either TEXT or --csv FILE, not both.")
    if not column:
        raise click.UsageError("--csv needs --column NAME: the column holding the place names or codes.")
    if day and date_column:
        raise click.UsageError("Give --date D (one date for every row) or --date-column NAME, not both.")
    _reconcile_csv(csv_file, column, day, date_column, out, level, parent, province, store_dir, data_dir)


def _reconcile_csv(csv_file: Path, column: str, day: str | None, date_column: str | None, out: Path | None,
                   level: str | None, parent: str | None, province: str | None, store_dir: Path,
                   data_dir: Path) -> None:
    import csv

    with csv_file.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        rows = list(reader)
    if not header:
        click.secho(f"{csv_file} is empty: it has no header row.", fg="red", err=True)
        sys.exit(2)
    for name, option in ((column, "--column"), (date_column, "--date-column")):
        if name is not None and name not in header:
            click.secho(f"{option} {name!r} is not a column of {csv_file}; its columns are: "
                        + ", ".join(repr(h) for h in header) + ".", fg="red", err=True)
            sys.exit(2)
    try:
        fixed = _parse_day(day) if day else None
    except ValueError:
        click.secho(f"--date {day!r} is not a date (YYYY-MM-DD).", fg="red", err=True)
        sys.exit(2)
    width = max([len(header), *(len(r) for r in rows)])
    header = header + [f"column {n}" for n in range(len(header) + 1, width + 1)]  # cells past the header's end
    name_at = header.index(column)
    date_at = header.index(date_column) if date_column else None
    days = []
    for line, row in enumerate(rows, 2):
        value = row[date_at].strip() if date_at is not None and date_at < len(row) else ""
        if not value:
            days.append(fixed)
            continue
        try:
            days.append(_parse_day(value))
        except ValueError:
            click.secho(f"row {line - 1} (line {line}) of {csv_file}: {date_column!r} is {value!r}, not a date "
                        "(YYYY-MM-DD or DD/MM/YYYY).", fg="red", err=True)
            sys.exit(2)
    places = _load_places(store_dir, data_dir)
    added = [f"vlkg_{c}" if c in header else c for c in RECONCILE_COLUMNS]
    target = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow([*header, *added])
        matched = 0
        with click.progressbar(list(zip(rows, days, strict=True)), label="reconciling", file=sys.stderr) as bar:
            for row, on in bar:
                text = row[name_at] if name_at < len(row) else ""
                found = places.reconcile(text, on=on, level=level, parent=parent, province=province,
                                         limit=2) if text.strip() else []
                padded = row + [""] * (len(header) - len(row))
                if found:
                    m = found[0]
                    u = m.unit
                    matched += m.match
                    writer.writerow([*padded, u.iri.value, u.code, u.name, u.valid_from or "", u.valid_through or "",
                                     f"{m.score:g}", "true" if m.match else "false"])
                else:
                    writer.writerow([*padded, "", "", "", "", "", "", "false"])
    finally:
        if out:
            target.close()
    click.echo(f"{len(rows)} rows, {matched} matched with confidence"
               + (f"; written to {out}" if out else ""), err=True)


def _register_serve() -> None:
    """`vlkg serve` lives with the server; attached here without importing Flask at start-up."""
    try:
        from vlkg.server.cli import serve
    except ImportError:  # the server CLI is not there yet
        return
    main.add_command(serve)


_register_serve()
