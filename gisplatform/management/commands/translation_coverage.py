"""How much of each language's catalogues is translated: `./imbizo manage translation_coverage`.

One line per language of LANGUAGES (the default language is the source, always complete): translated
and fuzzy resident-facing strings as percentages of them, whether the language switcher offers the
language, and apart, the share of the staff pages' strings (context "staff") translated."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from gisplatform.languages import OFFERED_FROM_PERCENT, coverage


class Command(BaseCommand):
    help = "Print the share of translated (and fuzzy) strings per language, and which languages are offered."

    def handle(self, *args, **options):
        default = translation.get_supported_language_variant(settings.LANGUAGE_CODE)
        self.stdout.write(f"{'language':<10} {'translated':>10} {'fuzzy':>7} {'strings':>8} {'staff':>7}  offered")
        for code, name in settings.LANGUAGES:
            if code == default:
                self.stdout.write(f"{code:<10} {'source':>10} {'':>7} {'':>8} {'':>7}  yes ({name})")
                continue
            figures = coverage(code)
            offered = "yes" if figures.percent >= OFFERED_FROM_PERCENT else f"no (under {OFFERED_FROM_PERCENT:.0f}%)"
            self.stdout.write(f"{code:<10} {figures.percent:>9.1f}% {figures.fuzzy_percent:>6.1f}% {figures.total:>8} "
                              f"{figures.staff_percent:>6.1f}%  {offered} ({name})")
