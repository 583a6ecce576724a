"""`vlkg serve`: serve a build (or any pyoxigraph store) read-only over HTTP.

Only click is imported here: the options come from server/settings.py when the command is used, so
`vlkg --help` and the other commands stay fast.
"""

from __future__ import annotations

import os
from typing import Any

import click

_CLICK_TYPES: dict[type, Any] = {int: int, float: float, str: str, tuple: str}


class _SettingsCommand(click.Command):
    """A command whose options are generated from the settings table on first use."""

    _loaded = False

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not self._loaded:
            from vlkg.server.settings import SETTINGS

            options = [
                click.Option(
                    [s.flag, s.name],
                    type=_CLICK_TYPES[s.type],
                    default=None,
                    show_default=False,
                    help=f"{s.help} [default: {s.default if s.type is not tuple else 'none'}; env {s.env}]",
                )
                for s in SETTINGS
            ]
            self.params = options + self.params
            self._loaded = True
        return super().get_params(ctx)


@click.command(cls=_SettingsCommand)
@click.option("--get", "get_path", metavar="PATH",
              help="Answer one request in-process (e.g. '/sparql?query=ASK{}'), print it and exit: a smoke test.")
def serve(get_path: str | None, **values: Any) -> None:
    """Serve the store read-only: /sparql (SPARQL 1.1 Protocol), the query UI, entity pages, dumps."""
    from vlkg.server.settings import resolve_settings

    try:
        settings = resolve_settings(values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    _base_iri_of_build(settings, explicit=values.get("base_iri") is not None or "VLKG_BASE_IRI" in os.environ)
    if get_path is not None:
        _get(settings, get_path)
        return
    from vlkg.server.backend import Backend
    from vlkg.server.executor import StartFailed
    from vlkg.server.http_server import PortInUse, check_port_free, run

    try:
        check_port_free(settings["host"], settings["port"])  # before anything starts: granian would share it
    except PortInUse as exc:
        raise click.ClickException(str(exc)) from None
    try:
        backend = Backend.open(settings)
        backend.check_store()  # one query process opens the store before any HTTP worker starts
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    except StartFailed as exc:
        detail = f"\n{exc.detail}" if exc.detail else ""
        raise click.ClickException(
            f"The store at {backend.store_path} cannot be served: {exc.reason}. Check that it is a complete "
            f"pyoxigraph store (rebuild it with `vlkg build`) and readable by this user.{detail}"
        ) from None
    click.echo(
        f"vlkg: serving {backend.store_path} (build {backend.build_id}) at "
        f"http://{settings['host']}:{settings['port']}/ with {settings['server']}",
        err=True,
    )
    run(settings)


def _base_iri_of_build(settings: dict[str, Any], explicit: bool) -> None:
    """A build is served under the base IRI it was made for (its manifest says which); a base IRI given with
    --base-iri or VLKG_BASE_IRI wins, with a warning when it is not the build's."""
    from vlkg.server.backend import manifest_base_iri

    built = manifest_base_iri(settings["store"])
    if built is None or built == settings["base_iri"]:
        return
    if not explicit:
        settings["base_iri"] = built
        return
    click.secho(
        f"warning: serving with base IRI {settings['base_iri']} (from --base-iri or VLKG_BASE_IRI), but the build "
        f"in {settings['store']} was made for {built}: its data holds <{built}id/...> IRIs, so entity pages "
        f"/id/... (which resolve <{settings['base_iri']}id/...>) find nothing and relative IRIs in queries miss "
        f"the data. Drop --base-iri to serve it under {built}, or rebuild with "
        f"`vlkg build --base-iri {settings['base_iri']}`.",
        fg="yellow", err=True,
    )


def _get(settings: dict[str, Any], path: str) -> None:
    from vlkg.server import create_app

    saved = os.environ.get("VLKG_BASE_IRI")
    os.environ["VLKG_BASE_IRI"] = settings["base_iri"]  # decided above; as run() hands it to the workers
    try:
        app = create_app(settings)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if saved is None:
            del os.environ["VLKG_BASE_IRI"]
        else:
            os.environ["VLKG_BASE_IRI"] = saved
    try:
        response = app.test_client().get(path)
        click.echo(response.get_data(as_text=True), nl=False)
    finally:
        app.extensions["vlkg"].close()
    if response.status_code >= 400:
        raise SystemExit(1)
