import ast

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class PrSegmentMixin(models.AbstractModel):
    """A customer filter a manager writes (rules, campaigns, experiments): refused when it does not
    evaluate or search, so that nothing fails later in a cron."""

    _name = "pr.segment.mixin"
    _description = "Customer Filter"

    partner_domain = fields.Char(string="Customer Filter", default="[]", help="Only customers matching this filter.")

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        for record in self:
            try:
                self.env["res.partner"].search_count(record._get_partner_domain(), limit=1)
            except Exception as error:
                raise record._invalid_filter(error) from error

    def _get_partner_domain(self):
        """The filter as a domain on contacts."""
        self.ensure_one()
        try:
            return ast.literal_eval(self.partner_domain or "[]")
        except (ValueError, SyntaxError) as error:
            raise self._invalid_filter(error) from error

    def _invalid_filter(self, error):
        return ValidationError(
            self.env._(
                "The customer filter of %(record)s is not valid: %(error)s", record=self.display_name, error=error
            )
        )
