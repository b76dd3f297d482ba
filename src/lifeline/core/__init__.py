"""What every other package builds on, importing nothing of Lifeline itself.

vocabulary.py  the words: languages, channel kinds, contacts, severities, stages, roles,
               the topic and tenant-id patterns
fields.py      the same words as pydantic field types, and the base of input models
defaults/      every tunable, with a docstring each (grouped in modules)
errors.py      Lifeline's exceptions
locations.py   how an error names the place of a problem (``tenants[0].channels.email``)
masking.py     personal data as it may appear in logs and reasons
locales.py     where the built-in templates and catalogues live
i18n.py        the gettext catalogues (bot and pages), language names and negotiation
"""
