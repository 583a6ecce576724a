"""Copy the query UI's front-end files from node_modules into server/static/vendor/ (run after `npm ci`).

    python -m vlkg.server.vendor [--root REPO] [--dest DIR]

Maintainers only (`make vendor` runs `npm ci` and this step): the copied files are committed, so users
install and serve without Node.js. Only the built files the page loads are copied (no source maps), each
package's version and licence are recorded in vendor/MANIFEST.json, the licence texts of the package and
of every package its bundle includes go to vendor/<dir>/LICENSE.txt, and the copy fails loudly when the
installed version is not the one pinned in package.json: the page must never depend on a CDN or on
whatever npm happened to resolve.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

DEST = Path(__file__).resolve().parent / "static" / "vendor"


@dataclass(frozen=True)
class Asset:
    """One built file of an npm package, copied to vendor/<target>."""

    package: str
    source: str  # path inside the package folder
    target: str  # path inside vendor/


ASSETS: tuple[Asset, ...] = (
    Asset("@zazuko/yasgui", "build/yasgui.min.js", "yasgui/yasgui.min.js"),
    Asset("@zazuko/yasgui", "build/yasgui.min.css", "yasgui/yasgui.min.css"),
)

# Browsers fetch the map named here when developer tools open; we ship no maps, so drop the pointer.
_SOURCE_MAP = re.compile(rb"\n?/[/*]# sourceMappingURL=[^\n]*\s*$")


_LICENCE_FILES = re.compile(r"^(licen[cs]e|copying)(\.(md|txt|markdown))?$", re.IGNORECASE)


class VendorError(Exception):
    """Something the person running the step must fix (message says what)."""


def _installed(root: Path, package: str) -> dict[str, str]:
    manifest = root / "node_modules" / package / "package.json"
    if not manifest.is_file():
        raise VendorError(f"{package} is not installed under {root / 'node_modules'}: run `npm ci` first.")
    return json.loads(manifest.read_text(encoding="utf-8"))


def _package_dir(root: Path, package: str, parent: Path | None = None) -> Path | None:
    """Where node resolves `package` from `parent` (nested node_modules first, then the top level)."""
    for base in ([parent / "node_modules"] if parent else []) + [root / "node_modules"]:
        if (base / package / "package.json").is_file():
            return base / package
    return None


def licence_text(root: Path, package: str) -> tuple[str, list[str]]:
    """The licence texts of `package` and of its production dependencies (its built bundle includes them).

    Returns the text and the packages that ship no licence file (their package.json licence is cited).
    """
    seen: dict[str, Path] = {}
    todo = [(package, None)]
    while todo:
        name, parent = todo.pop()
        folder = _package_dir(root, name, parent)
        if folder is None or name in seen:
            continue
        seen[name] = folder
        meta = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        todo.extend((dep, folder) for dep in sorted(meta.get("dependencies", {})))
    parts: list[str] = []
    missing: list[str] = []
    for name in [package, *sorted(n for n in seen if n != package)]:
        folder = seen[name]
        meta = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        repo = meta.get("repository")
        repo = repo.get("url") if isinstance(repo, dict) else repo
        author = meta.get("author")
        author = author.get("name") if isinstance(author, dict) else author
        head = f"{name} {meta.get('version', '?')} -- licence {meta.get('license', '?')}"
        head += "".join(f"; {k} {v}" for k, v in (("author", author), ("source", repo)) if v)
        files = sorted(f for f in folder.iterdir() if f.is_file() and _LICENCE_FILES.match(f.name))
        if files:
            body = "\n".join(f.read_text(encoding="utf-8", errors="replace").strip() for f in files)
        else:
            missing.append(name)
            body = (f"(The npm package ships no licence file; its package.json declares \"{meta.get('license', '?')}\"."
                    f" The full text of that licence applies.)")
        parts.append(f"{'=' * 78}\n{head}\n{'=' * 78}\n{body}\n")
    intro = (f"Licences of {package} and of the packages its built files include, copied from node_modules by\n"
             f"server/vendor.py. Each section names the package, its version, its declared licence and source.\n\n")
    return intro + "\n".join(parts), missing


def vendor(root: Path, dest: Path = DEST) -> dict[str, object]:
    """Copy every asset; return the manifest written to dest/MANIFEST.json."""
    pinned = json.loads((root / "package.json").read_text(encoding="utf-8")).get("dependencies", {})
    packages: dict[str, dict[str, str]] = {}
    files: dict[str, dict[str, object]] = {}
    for asset in ASSETS:  # check everything before touching the committed copy
        meta = _installed(root, asset.package)
        if asset.package in pinned and pinned[asset.package] != meta["version"]:
            raise VendorError(f"{asset.package} {meta['version']} is installed but package.json pins "
                              f"{pinned[asset.package]}: run `npm ci`.")
        if not (root / "node_modules" / asset.package / asset.source).is_file():
            raise VendorError(f"{asset.package} has no {asset.source}: check ASSETS in server/vendor.py.")
    if dest.exists():
        shutil.rmtree(dest)
    for asset in ASSETS:
        meta = _installed(root, asset.package)
        if asset.package not in packages:
            text, _ = licence_text(root, asset.package)
            licence = dest / Path(asset.target).parts[0] / "LICENSE.txt"
            licence.parent.mkdir(parents=True, exist_ok=True)
            licence.write_text(text, encoding="utf-8")
            packages[asset.package] = {"version": meta["version"], "license": str(meta.get("license", "?")),
                                       "license_file": licence.relative_to(dest).as_posix()}
        data = (root / "node_modules" / asset.package / asset.source).read_bytes()
        data = _SOURCE_MAP.sub(b"\n", data)
        target = dest / asset.target
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files[asset.target] = {"package": asset.package, "bytes": len(data),
                               "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {"packages": packages, "files": files}
    (dest / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vlkg.server.vendor", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="Folder holding package.json and node_modules (default: current folder).")
    parser.add_argument("--dest", type=Path, default=DEST, help=f"Target folder (default: {DEST}).")
    args = parser.parse_args(argv)
    try:
        manifest = vendor(args.root, args.dest)
    except VendorError as exc:
        print(f"vendor: {exc}", file=sys.stderr)
        return 1
    total = sum(int(f["bytes"]) for f in manifest["files"].values())  # type: ignore[union-attr]
    names = ", ".join(f"{p} {m['version']}" for p, m in manifest["packages"].items())  # type: ignore[union-attr]
    print(f"vendor: {len(manifest['files'])} files, {total / 1024:.0f} KiB from {names} -> {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
