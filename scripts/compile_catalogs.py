"""The booking widget's message catalogs (src/opencalendars/widget/locale, docs/widget.md).

    python scripts/compile_catalogs.py            # compile every .po to its .mo
    python scripts/compile_catalogs.py --extract  # first extract messages.pot from the code and
                                                  # templates, and merge it into every .po

Translators edit `locale/<lang>/LC_MESSAGES/messages.po`; the `.mo` beside it is what the
server loads, committed so that an install needs no build step. tests/widget/test_catalogs.py
checks that the committed `.mo` is this script's output and that every message is translated.
"""

import argparse
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

WIDGET = Path(__file__).resolve().parent.parent / "src" / "opencalendars" / "widget"
LOCALE = WIDGET / "locale"
DOMAIN = "messages"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extracted() -> Catalog:
    """Every message of the widget's code and templates, as a template catalog."""
    catalog = Catalog(project="OpenCalendars booking widget", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(WIDGET), METHODS, OPTIONS, KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_files() -> list[Path]:
    return sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def compiled(po: Path) -> bytes:
    """The `.mo` bytes of a `.po` (fuzzy entries left out, as gettext's msgfmt does)."""
    out = io.BytesIO()
    write_mo(out, read_catalog(po), use_fuzzy=False)
    return out.getvalue()


def write_catalog(path: Path, catalog: Catalog) -> None:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=False, include_lineno=False)
    path.write_bytes(out.getvalue())


def extract() -> None:
    template = extracted()
    write_catalog(LOCALE / f"{DOMAIN}.pot", template)
    for po in po_files():
        catalog = read_catalog(po)
        catalog.update(template, no_fuzzy_matching=True)
        write_catalog(po, catalog)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extract", action="store_true", help="extract and merge messages first")
    args = parser.parse_args(argv)
    if args.extract:
        extract()
    for po in po_files():
        po.with_suffix(".mo").write_bytes(compiled(po))
        print(f"compiled {po.relative_to(WIDGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
