"""The Spanish catalog: the committed `.mo` is what scripts/compile_catalogs.py makes of the
`.po`, and every message of the code and templates has a translation."""

import importlib.util
from pathlib import Path

import pytest

from opencalendars.widget.i18n import LANGUAGES, translate

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compile_catalogs.py"


@pytest.fixture(scope="module")
def catalogs():
    spec = importlib.util.spec_from_file_location("compile_catalogs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_mo_is_the_compiled_po(catalogs):
    pos = catalogs.po_files()
    assert [po.parent.parent.name for po in pos] == [lang for lang in LANGUAGES if lang != "en"]
    for po in pos:
        assert po.with_suffix(".mo").read_bytes() == catalogs.compiled(po), (
            f"{po} changed: run python scripts/compile_catalogs.py"
        )


def test_every_message_is_translated(catalogs):
    wanted = {message.id for message in catalogs.extracted() if message.id}
    assert len(wanted) > 50
    for po in catalogs.po_files():
        catalog = catalogs.read_catalog(po)
        translated = {
            message.id
            for message in catalog
            if message.id
            and not message.fuzzy
            and all(message.string if isinstance(message.string, tuple) else [message.string])
        }
        missing = sorted(str(m) for m in wanted - translated)
        assert missing == [], f"{po}: run python scripts/compile_catalogs.py --extract, translate"


def test_placeholders_survive_translation():
    assert translate("es", "Times in %(zone)s", zone="Europe/Madrid") == "Horas en Europe/Madrid"
    assert translate("en", "Times in %(zone)s", zone="UTC") == "Times in UTC"
