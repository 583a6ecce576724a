"""Article sources (data/sources/{id}.txt + {id}.meta.yaml): the exact text snapshot and its metadata."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from vlkg.ingest.model import BuildError

# Line 1 of every article: " date 2021-12 <title>" (see the seeds' ANNOTATION.md, "Article format").
_FIRST_LINE = re.compile(r" date (\d{4}-\d{2}) (.+)")


@dataclass(frozen=True)
class Source:
    """One article: its id, its text exactly as stored (NFC) and its metadata."""

    id: str
    path: Path
    text: str
    sha256: str
    title: str
    title_en: str
    date: str  # "YYYY-MM"
    language: str
    byline: str | None


def load_source(path: Path) -> Source:
    """Read `{id}.txt` and `{id}.meta.yaml`, checking the text is NFC and matches its recorded hash."""
    article_id = path.name.removesuffix(".txt")
    meta_path = path.with_name(f"{article_id}.meta.yaml")
    if not path.is_file():
        raise BuildError(f"{path}: article text not found; put the snapshot in data/sources/{article_id}.txt")
    if not meta_path.is_file():
        raise BuildError(f"{meta_path}: metadata file missing for {path.name}; "
                         "see data/README.md for its fields")
    raw = path.read_bytes()  # bytes, not text mode: newline translation would shift every offset
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BuildError(f"{path}: not UTF-8 ({exc}); save the article as UTF-8") from exc
    _check_nfc(path, text)
    digest = hashlib.sha256(raw).hexdigest()
    meta = _load_meta(meta_path)
    if meta.get("id") != article_id:
        raise BuildError(f"{meta_path}: id is {meta.get('id')!r}, expected {article_id!r} (the file name)")
    if meta.get("sha256") != digest:
        raise BuildError(
            f"{meta_path}: sha256 {meta.get('sha256')!r} does not match {path.name} ({digest}); the text "
            "changed since the facts were reviewed: re-check every quote offset, then update the hash")
    first = _FIRST_LINE.fullmatch(text.split("\n", 1)[0])
    if first is None:
        raise BuildError(f"{path}: line 1 must be ' date YYYY-MM <title>', found {text[:60]!r}")
    for field, actual in (("date", first.group(1)), ("title", first.group(2))):
        if str(meta.get(field)) != actual:
            raise BuildError(f"{meta_path}: {field} is {meta.get(field)!r} "
                             f"but line 1 of the text says {actual!r}")
    for field in ("title_en", "language"):
        if not isinstance(meta.get(field), str) or not meta[field]:
            raise BuildError(f"{meta_path}: '{field}' is required (a non-empty string)")
    return Source(id=article_id, path=path, text=text, sha256=digest, title=first.group(2),
                  title_en=meta["title_en"], date=first.group(1), language=meta["language"],
                  byline=meta.get("byline"))


def _check_nfc(path: Path, text: str) -> None:
    """Offsets count NFC code points, so a non-NFC text would make every quote ambiguous."""
    if unicodedata.is_normalized("NFC", text):
        return
    at = next(i for i, c in enumerate(text) if unicodedata.normalize("NFC", text[: i + 1]) != text[: i + 1])
    raise BuildError(f"{path}: text is not NFC Unicode (first difference at code point {at}: "
                     f"{text[max(0, at - 10):at + 10]!r}); normalise it to NFC and re-check every quote "
                     "offset")


def _load_meta(meta_path: Path) -> dict:
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BuildError(f"{meta_path}: not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise BuildError(f"{meta_path}: expected a mapping of fields (id, title, date, ...)")
    return meta
