"""The response layer shared by every blueprint: negotiation from the request, conditional responses, links.

- `negotiate(formats, what)`: the format for this request (formats.choose), or a 406 Problem.
- `not_modified(etag, ...)` before the work, `conditional(response, etag, ...)` after it: ETag,
  Cache-Control, Vary, and 304 for a matching If-None-Match. `*` matches only in `conditional`, i.e. only
  once the representation exists: a request that fails gets its error, never a 304.
- `public_url(path)`: an absolute URL from the configured base IRI, never from the request's Host header.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from flask import Response, current_app, request

from vlkg.server.formats import Format, NotAcceptable, choose_header

# Browsers and proxies may keep a page this long, then revalidate (304 while the build is the same).
CACHE_CONTROL = "public, max-age=600"
_KEPT_ON_304 = ("Cache-Control", "Vary", "Content-Location", "Expires")


def negotiate(formats: Sequence[Format], what: str) -> tuple[Format, str]:
    """The format for this request (`?format=` then Accept); raise a 406 Problem when none fits."""
    try:
        return choose_header(formats, request.headers.get("Accept", ""), request.args.get("format"), what)
    except NotAcceptable as exc:
        raise exc.problem() from None


def etag_for(build_id: str, *parts: str) -> str:
    """An ETag (unquoted) tied to the build and to what was asked (resource, format, page)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
    return f"{build_id}-{digest}"


def _matching_tag(etag: str, star: bool) -> str | None:
    """The client's tag (unquoted) that names `etag`, or '*' when star matches; None otherwise.

    Weak comparison (a W/ prefix does not matter), and flask-compress's ':<encoding>' suffix on a tag we
    sent compressed still names the same representation.
    """
    if request.method not in ("GET", "HEAD"):
        return None
    header = request.headers.get("If-None-Match")
    if not header:
        return None
    for raw in header.split(","):
        tag = raw.strip()
        if tag == "*":
            if star:
                return "*"
            continue
        bare = tag.removeprefix("W/").strip('"')
        if bare == etag or bare.startswith(etag + ":"):
            return bare
    return None


def _not_modified_response(etag: str, client_tag: str, headers: Iterable[tuple[str, str]]) -> Response:
    response = Response(status=304)
    # A tag the client holds with an encoding suffix is the ETag its cached (compressed) copy carries.
    response.headers["ETag"] = f'"{etag if client_tag == "*" else client_tag}"'
    for name, value in headers:
        if name in _KEPT_ON_304:
            response.headers[name] = value
    return response


def not_modified(etag: str, *, cache_control: str = CACHE_CONTROL,
                 vary: Sequence[str] = ("Accept",)) -> Response | None:
    """Before doing the work: a 304 when If-None-Match names `etag`, else None.

    `*` does not match here (the representation may not exist: the query may be malformed); call
    `conditional()` on the finished response for that.
    """
    tag = _matching_tag(etag, star=False)
    if tag is None:
        return None
    return _not_modified_response(etag, tag, _caching_headers(cache_control, vary))


def conditional(response: Response, etag: str, *, cache_control: str = CACHE_CONTROL,
                vary: Sequence[str] = ("Accept",)) -> Response:
    """After the work, on a successful response: set ETag, Cache-Control and Vary; 304 if If-None-Match
    names the tag or is `*` (the representation exists: it is this response)."""
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    for name in vary:
        response.vary.add(name)
    if not 200 <= response.status_code < 300:
        return response
    tag = _matching_tag(etag, star=True)
    if tag is None:
        return response
    return _not_modified_response(etag, tag, response.headers.items())


def _caching_headers(cache_control: str, vary: Sequence[str]) -> list[tuple[str, str]]:
    headers = [("Cache-Control", cache_control)]
    if vary:
        headers.append(("Vary", ", ".join(vary)))
    return headers


def public_url(path: str) -> str:
    """The absolute URL of `path` (relative to the site root) at the data's public home, the base IRI."""
    base: str = current_app.config["VLKG"]["base_iri"]
    return base.rstrip("/") + "/" + path.lstrip("/")


def site_path(path: str) -> str:
    """A root-relative link to `path` on this server (works wherever the server runs)."""
    return (request.script_root or "") + "/" + path.lstrip("/")
