"""The words of the search pages, in French (the default) and English (merged by ``i18n.words``)."""

WORDS: dict[str, dict[str, str]] = {"fr": {}, "en": {}}
