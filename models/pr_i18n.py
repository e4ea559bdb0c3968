"""Text the addon writes into records, in the language of whoever reads it (README, *Languages*).

* Texts many people read, that the engine writes by SQL into a ``translate=True`` field (ledger
  reasons, behaviour event messages, reward decisions), are written in every installed language at
  once: each reader sees their own. Such a text is given as ``_lt("Credit note %(name)s", name=...)``
  (put into words in each language when written; its parameters may be ``_lt`` texts too, or the
  translations of a translated field), as the translations of a translated field (``{lang: text}``,
  see :func:`field_translations`), or as plain text, which is the same in every language (what a
  person typed).
* Texts one person reads (a task, a chatter note about a customer) are written in that person's
  language: :func:`reader_langs`.
* Emails are rendered in the customer's language by the ``lang`` of their mail template.
"""

import json

from odoo.tools import SQL
from odoo.tools.translate import LazyGettext, get_translation

MODULE = "positive_reinforcement"


class Text:
    """A message of the addon and its parameters, put into words in a language when it is written."""

    __slots__ = ("params", "source")
    # The module whose translations hold the text: a bridge addon's subclass names its own.
    module = MODULE

    def __init__(self, source, /, **params):
        self.source = source
        self.params = params

    def in_lang(self, lang):
        params = {key: _param_in(lang, value) for key, value in self.params.items()}
        return get_translation(self.module, lang or "en_US", self.source, params)

    def __repr__(self):
        return f"_lt({self.source!r}, **{self.params!r})"


class Joined:
    """Texts put one after the other, in each language."""

    __slots__ = ("separator", "texts")

    def __init__(self, texts, separator=" "):
        self.texts = list(texts)
        self.separator = separator

    def in_lang(self, lang):
        return self.separator.join(text_in(lang, text) for text in self.texts)


def _lt(source, /, **params):
    """Mark ``source`` for translation (``i18n export`` collects ``_lt`` calls) and keep its parameters."""
    return Text(source, **params)


def _param_in(lang, value):
    if isinstance(value, (list, tuple)):
        return [text_in(lang, item) for item in value]  # formatted as a list of the language
    if isinstance(value, (Text, Joined, dict, LazyGettext)):
        return text_in(lang, value)
    return value


def text_in(lang, text):
    """``text`` (see the module's docstring) in ``lang``."""
    if isinstance(text, (Text, Joined)):
        return text.in_lang(lang)
    if isinstance(text, LazyGettext):
        return text._translate(lang or "en_US")
    if isinstance(text, dict):
        return text.get(lang) or text.get("en_US") or next((value for value in text.values() if value), "")
    return text or ""


def installed_langs(env):
    """The codes of the active languages, English first (the value every other one falls back to)."""
    return ["en_US", *sorted(code for code, _name in env["res.lang"].get_installed() if code != "en_US")]


def translations(text, langs):
    """``{lang: text}`` of ``text`` in each of ``langs``: the value of a translated field; None for no text.

    Plain text is the same in every language: it is kept once, as the English value the others fall back to.
    """
    if not text:
        return None
    if isinstance(text, str):
        return {"en_US": text}
    if isinstance(text, dict):  # a translated field's values: the languages it has (the others read its English)
        values = {lang: value for lang, value in text.items() if value}
        values.setdefault("en_US", text_in("en_US", text))
        return values
    values = {lang: text_in(lang, text) for lang in langs}
    values.setdefault("en_US", text_in("en_US", text))
    return values


def translations_json(texts, langs):
    """``translations`` of each of ``texts`` as JSON, for a ``jsonb[]`` parameter of a batched SQL statement."""
    cache = {}
    result = []
    for text in texts:
        key = _cache_key(text)
        if key is None or key not in cache:
            value = translations(text, langs)
            cache[key] = json.dumps(value) if value is not None else None
        result.append(cache[key])
    return result


def _cache_key(text):
    """What makes two texts the same words, when it is cheap to tell (the same message with the same parameters)."""
    if isinstance(text, str) or text is None:
        return text
    if isinstance(text, Text):
        try:
            return (text.source, frozenset(text.params.items()))
        except TypeError:  # a parameter that cannot be compared cheaply
            return None
    return None


def field_translations(records, fname):
    """``{record id: {lang: value}}`` of the translated field ``fname``, in one query at most.

    With one language installed, from what the ORM already read; otherwise from the stored values.
    """
    env = records.env
    if len(installed_langs(env)) == 1 or not records:
        return {record.id: {"en_US": record[fname] or ""} for record in records.with_context(lang="en_US")}
    records.flush_recordset([fname])
    env.cr.execute(
        SQL(
            "SELECT id, %s FROM %s WHERE id = ANY(%s)",
            SQL.identifier(fname),
            SQL.identifier(records._table),
            list(records.ids),
        )
    )
    stored = dict(env.cr.fetchall())
    return {record.id: stored.get(record.id) or {} for record in records}


def write_translated(records, fname, text):
    """Write ``text`` into the translated field ``fname`` of ``records``, in every installed language."""
    for lang in installed_langs(records.env):  # English first: the value the others fall back to
        records.with_context(lang=lang).write({fname: text_in(lang, text) or False})


def reader_lang(env, user=None, company=None):
    """The language someone reads in: ``user``'s, else the company's (its address), else English."""
    active = {code for code, _name in env["res.lang"].get_installed()}
    for lang in (user and user.sudo().lang, company and company.sudo().partner_id.lang):
        if lang in active:
            return lang
    return "en_US"


def acting_reader_lang(env, company):
    """The language of a note on one of the addon's documents: the user who acted, else the company's.

    The system (a cron, demo data, OdooBot) is nobody's reader: then the company's language.
    """
    user = env.user.sudo()
    person = user if user.active and not user.share else None
    return reader_lang(env, person, company)


def reader_langs(company, partners):
    """``{partner id: lang}``: the language of whoever looks after each customer in ``company``.

    Their salesperson (the contact's, else its commercial entity's) while an active internal user,
    else the company's language: notes about a customer are written for them.
    """
    env = company.env
    partners = partners.sudo()
    langs = {}
    for partner in partners:
        seller = partner.user_id or partner.commercial_partner_id.user_id
        person = seller if seller and seller.active and not seller.share else None
        langs[partner.id] = reader_lang(env, person, company)
    return langs


def env_in(env, lang):
    """``env`` speaking ``lang``."""
    return env(context=dict(env.context, lang=lang)) if env.lang != lang else env
