"""Fill the .po catalogues from translation tables (msgid -> (af, zu, st), or -> text for the one
language given); a translation starting with "~" is written as fuzzy (the translator was unsure).
Used once per batch of new strings:
    .venv/bin/python locale/tools/apply_translations.py TABLE.py [domain] [language]"""

import runpy
import sys
from pathlib import Path

import polib

LANGUAGES = ("af", "zu", "st")
PLURALS = {"af": "nplurals=2; plural=(n != 1);", "zu": "nplurals=2; plural=(n > 1);", "st": "nplurals=2; plural=(n != 1);",
           "xh": "nplurals=2; plural=(n != 1);"}
LOCALE = Path(__file__).resolve().parent.parent


def apply(table: dict, domain: str, languages: tuple[str, ...] = LANGUAGES) -> None:
    for index, language in enumerate(languages):
        path = LOCALE / language / "LC_MESSAGES" / f"{domain}.po"
        catalogue = polib.pofile(str(path))
        catalogue.metadata.update({"Language": language, "Plural-Forms": PLURALS[language],
                                   "Content-Type": "text/plain; charset=UTF-8",
                                   "Project-Id-Version": "Imbizo", "Language-Team": f"Imbizo {language}",
                                   "Last-Translator": "Imbizo <imbizo@localhost>",
                                   "PO-Revision-Date": catalogue.metadata.get("POT-Creation-Date", "")})
        catalogue.metadata_is_fuzzy = False
        for entry in catalogue:
            if entry.msgctxt or entry.msgid not in table:  # staff strings (context "staff") are not in the tables
                continue
            text = table[entry.msgid] if len(languages) == 1 else table[entry.msgid][index]
            fuzzy = False
            if entry.msgid_plural:
                singular, plural = text
                fuzzy = singular.startswith("~")
                entry.msgstr_plural = {0: singular.lstrip("~"), 1: plural.lstrip("~")}
            else:
                fuzzy = text.startswith("~")
                entry.msgstr = text.lstrip("~")
            entry.previous_msgid = entry.previous_msgid_plural = None  # msgmerge's guess, now replaced
            if fuzzy and "fuzzy" not in entry.flags:
                entry.flags.append("fuzzy")
            elif not fuzzy and "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        catalogue.save(str(path))


if __name__ == "__main__":
    names = runpy.run_path(sys.argv[1])
    table = next(value for key, value in names.items() if key.isupper() and isinstance(value, dict))
    apply(table, sys.argv[2] if len(sys.argv) > 2 else "django", tuple(sys.argv[3:4]) or LANGUAGES)
