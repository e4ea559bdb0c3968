"""Ledger reasons of the Point of Sale, in every installed language (see ``positive_reinforcement.models.pr_i18n``).

The addon's ``_lt`` looks its texts up in the addon's own translations; the texts of this bridge are in the
bridge's ``i18n/*.po``.
"""

from odoo.addons.positive_reinforcement.models import pr_i18n


class Text(pr_i18n.Text):
    """A message of the bridge and its parameters, put into words in a language when it is written."""

    __slots__ = ()
    module = "positive_reinforcement_pos"


def _lt(source, /, **params):
    """Mark ``source`` for translation (``i18n export`` collects ``_lt`` calls) and keep its parameters."""
    return Text(source, **params)
