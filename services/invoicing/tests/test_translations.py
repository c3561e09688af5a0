"""Every label and message of the documents and mail is in the catalogue template, and translated
in German and French with the same placeholders: a new English message fails here until
`make translations` has extracted it and someone has translated it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from invoicing.adapters.i18n import LANGUAGES, TRANSLATIONS, gettext

SERVICE = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _ids(path: Path) -> set[str]:
    with path.open("rb") as f:
        return {m.id for m in read_po(f) if m.id and isinstance(m.id, str)}


def test_the_template_holds_exactly_the_messages_in_the_code(tmp_path: Path) -> None:
    out = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [
            str(pybabel),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "--no-location",
            "--omit-header",
            "-o",
            str(out),
            ".",
        ],
        cwd=SERVICE,
        check=True,
    )
    assert _ids(out) == _ids(TRANSLATIONS / "messages.pot"), "run `make translations`"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    wanted = _ids(TRANSLATIONS / "messages.pot")
    found = {m.id: m for m in catalog if m.id}
    assert wanted <= set(found), f"untranslated in {lang}: {sorted(wanted - set(found))}"
    for msgid in wanted:
        message = found[msgid]
        assert message.string and not message.fuzzy, f"{lang}: {msgid!r} is not translated"
        assert set(PLACEHOLDER.findall(str(message.string))) == set(PLACEHOLDER.findall(msgid)), msgid


def test_a_message_reads_in_the_customers_language() -> None:
    assert gettext("de_DE", "Invoice") == "Rechnung"
    assert gettext("fr", "Tax %(rate)s", rate="20 %") == "TVA 20 %"
    assert gettext("en_US", "Invoice") == gettext("es", "Invoice") == "Invoice"  # no catalogue: English
