"""The language of a customer's documents and mail: gettext catalogues (`invoicing/adapters/translations/
<language>/LC_MESSAGES/messages.po`, English being the message ids themselves) and one Jinja2
environment per language with them installed.

The `.po` files are the source kept in the repository; each is compiled in memory on first use,
so there is no build step and no binary `.mo` to keep in step. `make translations` extracts the
messages again (pybabel) and a test fails while a German or French message is missing.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("en", "de", "fr")  # the languages documents and mail are written in


def language(locale: str) -> str:
    """'de_DE' -> 'de'; a language without a catalogue -> 'en'."""
    try:
        lang = Locale.parse(locale.replace("-", "_")).language
    except (ValueError, UnknownLocaleError):
        return "en"
    return lang if lang in LANGUAGES else "en"


@cache
def translations(lang: str) -> NullTranslations:
    """The catalogue of `lang` (see `language`); English needs none."""
    po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not po.is_file():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo)


def gettext(locale: str, message: str, **params: str) -> str:
    """`message` in the language of `locale`, with `%(name)s` placeholders filled."""
    text = translations(language(locale)).gettext(message)
    return text % params if params else text


@cache
def templates(lang: str) -> Environment:
    """Jinja2 templates (`invoicing/adapters/templates`) with `lang`'s catalogue: HTML autoescaped, plain
    text not; an undefined name is an error, never an empty string on a customer's document."""
    env = Environment(
        loader=PackageLoader("invoicing", "adapters/templates"),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env
