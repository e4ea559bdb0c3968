"""Plain-Python logic of positive_reinforcement: no Odoo import, testable with pytest alone."""
