"""Data Docs that render with their styles offline.

Great Expectations writes pages that load Bootstrap, Font Awesome, jQuery and friends from CDNs
(maxcdn, cdnjs, unpkg, jsdelivr) and its logo from S3. With no internet (an air-gapped
deployment, this project's CI, a laptop on a train) they render as unstyled HTML. Instead of
committing copies of those libraries, the XStatic packages on PyPI (XStatic-Bootstrap 4.5,
XStatic-Font-Awesome 6, XStatic-jQuery 3.7: pinned dependencies) supply them: once per docs
folder they are copied to `<docs>/_vendor/`, and every page of a run's site is rewritten to load
them by relative path, so the pages work from the file system and from any web server that
serves the docs folder (the Airflow plugin in plugins/tickerpulse_data_docs.py does).

Assets without a package (bootstrap-table's filter controls, the date picker, the dark-mode
sheet, Vega for profiling charts) are dropped from the pages: they add table filtering, a dark
theme and charts the validation pages do not use, and a tag pointing at an unreachable CDN only
stalls the page.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

VENDOR = "_vendor"


def _package_dir(name: str) -> Path:
    import importlib

    module = importlib.import_module(f"xstatic.pkg.{name}")
    return Path(module.BASE_DIR)


# vendor path -> (xstatic package, path inside its data folder)
FILES = {
    "bootstrap/css/bootstrap.min.css": ("bootstrap", "css/bootstrap.min.css"),
    "bootstrap/js/bootstrap.bundle.min.js": ("bootstrap", "js/bootstrap.bundle.min.js"),
    "jquery/jquery.min.js": ("jquery", "jquery.min.js"),
    "fontawesome/css/all.min.css": ("font_awesome", "css/all.min.css"),
}
DIRS = {"fontawesome/webfonts": ("font_awesome", "webfonts")}  # all.min.css: ../webfonts/

# CDN URL pattern -> vendor path; None drops the tag.
REWRITES: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(r"https://[^\"']*bootstrap/4\.[\d.]+/css/bootstrap\.min\.css"),
     "bootstrap/css/bootstrap.min.css"),
    (re.compile(r"https://[^\"']*bootstrap/4\.[\d.]+/js/bootstrap\.min\.js"),
     "bootstrap/js/bootstrap.bundle.min.js"),
    (re.compile(r"https://code\.jquery\.com/jquery-[\d.]+\.min\.js"), "jquery/jquery.min.js"),
    (re.compile(r"https://[^\"']*font-awesome/[\d.]+/css/all\.min\.css"),
     "fontawesome/css/all.min.css"),
    (re.compile(r"https://[^\"']*popper\.js/[^\"']*"), None),  # inside bootstrap.bundle
    (re.compile(r"https://unpkg\.com/bootstrap-table@[^\"']*"), None),
    (re.compile(r"https://[^\"']*bootstrap-datepicker/[^\"']*"), None),
    (re.compile(r"https://cdn\.jsdelivr\.net/npm/@forevolve/[^\"']*"), None),
    (re.compile(r"https://cdn\.jsdelivr\.net/npm/vega[^\"']*"), None),
]  # fmt: skip
_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"']*/logo-long\.png[^\"']*")
_TAG = re.compile(
    r"<link\b[^>]*href=[\"'](?P<href>[^\"']+)[\"'][^>]*>|"
    r"<script\b[^>]*src=[\"'](?P<src>[^\"']+)[\"'][^>]*>\s*</script>",
    re.IGNORECASE,
)


def ensure_vendor(docs_root: Path) -> Path:
    """`<docs_root>/_vendor` with every asset, copied once; written beside and renamed into
    place, so concurrent tasks never see half of it."""
    target = docs_root / VENDOR
    if target.is_dir():
        return target
    docs_root.mkdir(parents=True, exist_ok=True)
    staging = docs_root / f".{VENDOR}.{uuid.uuid4().hex}.tmp"
    for dest, (package, inside) in FILES.items():
        path = staging / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_package_dir(package) / inside, path)
    for dest, (package, inside) in DIRS.items():
        shutil.copytree(_package_dir(package) / inside, staging / dest)
    try:
        staging.rename(target)
    except OSError:  # another task got there first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _relative(page: Path, target: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def localise_page(html: str, page: Path, docs_root: Path, site: Path) -> str:
    """The page with CDN assets replaced by the vendored copies (or dropped) and the S3 logo by
    the site's own copy."""

    def tag(match: re.Match[str]) -> str:
        url = match.group("href") or match.group("src") or ""
        for pattern, vendor_path in REWRITES:
            if pattern.fullmatch(url):
                if vendor_path is None:
                    return ""
                local = _relative(page, docs_root / VENDOR / vendor_path)
                return match.group(0).replace(url, local)
        return match.group(0)

    html = _TAG.sub(tag, html)
    logo = _relative(page, site / "static" / "images" / "logo-long.png")
    return _LOGO.sub(logo, html)


def localise_site(site: Path, docs_root: Path) -> int:
    """Rewrite every page of one run's site (a folder under docs_root); the pages rewritten."""
    ensure_vendor(docs_root)
    count = 0
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = localise_page(text, page, docs_root, site)
        if new != text:
            page.write_text(new, encoding="utf-8")
            count += 1
    return count


def remote_assets(html: str) -> list[str]:
    """The http(s) stylesheets, scripts and images a page would still load."""
    found = re.findall(
        r"<(?:link|script|img)\b[^>]*(?:href|src)=[\"'](https?://[^\"']+)[\"']", html, re.I
    )
    return [u for u in found if not u.startswith(("https://greatexpectations.io", "https://docs."))]
