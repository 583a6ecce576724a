"""Copy the query UI's front-end files from node_modules into server/static/vendor/ (run after `npm ci`).

    python -m vlkg.server.vendor [--root REPO] [--dest DIR]

Only the built files the page loads are copied (no source maps), each package's version and licence are
recorded in vendor/MANIFEST.json, and the copy fails loudly when the installed version is not the one
pinned in package.json: the page must never depend on a CDN or on whatever npm happened to resolve.
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


class VendorError(Exception):
    """Something the person running the step must fix (message says what)."""


def _installed(root: Path, package: str) -> dict[str, str]:
    manifest = root / "node_modules" / package / "package.json"
    if not manifest.is_file():
        raise VendorError(f"{package} is not installed under {root / 'node_modules'}: run `npm ci` first.")
    return json.loads(manifest.read_text(encoding="utf-8"))


def vendor(root: Path, dest: Path = DEST) -> dict[str, object]:
    """Copy every asset; return the manifest written to dest/MANIFEST.json."""
    pinned = json.loads((root / "package.json").read_text(encoding="utf-8")).get("dependencies", {})
    packages: dict[str, dict[str, str]] = {}
    files: dict[str, dict[str, object]] = {}
    if dest.exists():
        shutil.rmtree(dest)
    for asset in ASSETS:
        meta = _installed(root, asset.package)
        if asset.package in pinned and pinned[asset.package] != meta["version"]:
            raise VendorError(f"{asset.package} {meta['version']} is installed but package.json pins "
                              f"{pinned[asset.package]}: run `npm ci`.")
        packages[asset.package] = {"version": meta["version"], "license": str(meta.get("license", "?"))}
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
