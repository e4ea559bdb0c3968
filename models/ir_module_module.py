"""Texts the engine wrote before a language was installed are given that language when it is loaded.

The ledger's reasons, the events' messages and the decisions' notes are written in every installed
language (see ``pr_i18n``). Those written before a language was installed, or before the addon wrote
them so (then they only have English), get it when the language's terms are loaded: when the
language is installed and on each upgrade of the addon. Texts it cannot read (typed by someone, or
an error) keep their English.
"""

import re

from odoo import api, models
from odoo.tools import SQL
from odoo.tools.translate import code_translations

from .pr_i18n import MODULE

# (table, translated column written by the engine)
ENGINE_TEXTS = (("pr_ledger_entry", "reason"), ("pr_event", "message"), ("pr_event_decision", "note"))
# Records whose names the engine writes as ledger reasons.
NAMED_TABLES = ("pr_reward_rule", "pr_reward")
PLACEHOLDER_RE = re.compile(r"%\((\w+)\)[sd]")
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")
MAX_DEPTH = 2


class TextTranslator:
    """The ``lang`` words of an English text the addon wrote: one of its messages (with its parameters
    read back from the text), or the name of a rule or reward. None when it is not one of them."""

    def __init__(self, env, lang):
        messages = code_translations.get_python_translations(MODULE, lang)
        self.exact = {source: target for source, target in messages.items() if target and "%" not in source}
        self.patterns = []
        for source, target in messages.items():
            literal = PLACEHOLDER_RE.sub("", source)
            if target and literal != source and "%" not in literal and re.search(r"[^\W\d_]", literal):
                self.patterns.append((self._pattern(source), target))
        self.names = {}
        for table in NAMED_TABLES:
            env.cr.execute(SQL("SELECT name FROM %s WHERE name ? %s", SQL.identifier(table), lang))
            for (name,) in env.cr.fetchall():
                if name.get("en_US") and name.get(lang):
                    self.names.setdefault(name["en_US"], name[lang])

    @staticmethod
    def _pattern(source):
        parts, seen, position = [], set(), 0
        for match in PLACEHOLDER_RE.finditer(source):
            parts.append(re.escape(source[position : match.start()]))
            name = match.group(1)
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
            position = match.end()
        parts.append(re.escape(source[position:]))
        return re.compile("^" + "".join(parts) + "$", re.S)

    def __call__(self, text, depth=0):
        if text in self.exact:
            return self.exact[text]
        if text in self.names:
            return self.names[text]
        if depth >= MAX_DEPTH:
            return None
        for pattern, target in self.patterns:
            match = pattern.match(text)
            if match:
                params = {key: self._param(value, depth + 1) for key, value in match.groupdict().items()}
                try:
                    return target % params
                except (KeyError, TypeError, ValueError):
                    continue
        return None

    def _param(self, value, depth):
        """A parameter in ``lang`` when it is a text of the addon (or sentences of them), else as it is."""
        if translated := self(value, depth):
            return translated
        sentences = SENTENCE_RE.split(value)
        translated = [self(sentence, depth) for sentence in sentences]
        return " ".join(translated) if len(sentences) > 1 and all(translated) else value


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _load_module_terms(self, modules, langs, overwrite=False):
        result = super()._load_module_terms(modules, langs, overwrite=overwrite)
        if MODULE in modules:
            self._pr_translate_engine_texts([lang for lang in langs if lang != "en_US"])
        return result

    @api.model
    def _pr_translate_engine_texts(self, langs):
        """Give the engine's texts that lack them the ``langs`` translations; the English stays as it is."""
        cr = self.env.cr
        for lang in langs:
            translate = TextTranslator(self.env, lang)
            for table, column in ENGINE_TEXTS:
                cr.execute(
                    SQL(
                        "SELECT DISTINCT %s->>'en_US' FROM %s WHERE %s IS NOT NULL AND NOT %s ? %s",
                        SQL.identifier(column),
                        SQL.identifier(table),
                        SQL.identifier(column),
                        SQL.identifier(column),
                        lang,
                    )
                )
                found = {}
                for (english,) in cr.fetchall():
                    if english and (words := translate(english)):
                        found[english] = words
                if found:
                    self._pr_add_translations(table, column, lang, found)
        for model in ("pr.ledger.entry", "pr.event", "pr.event.decision"):
            self.env[model].invalidate_model()

    def _pr_add_translations(self, table, column, lang, found):
        cr = self.env.cr
        # The ledger refuses any change of a posted entry; this setting lets a reason gain languages only.
        cr.execute(SQL("SELECT set_config('pr.ledger_translate', 'on', true)"))
        cr.execute(
            SQL(
                """
                UPDATE %(table)s t SET %(column)s = t.%(column)s || jsonb_build_object(%(lang)s, d.words)
                  FROM unnest(%(sources)s::text[], %(words)s::text[]) AS d(source, words)
                 WHERE t.%(column)s->>'en_US' = d.source AND NOT t.%(column)s ? %(lang)s
                """,
                table=SQL.identifier(table),
                column=SQL.identifier(column),
                lang=lang,
                sources=list(found),
                words=list(found.values()),
            )
        )
        cr.execute(SQL("SELECT set_config('pr.ledger_translate', 'off', true)"))
