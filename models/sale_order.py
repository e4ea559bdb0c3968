from odoo import api, fields, models, tools
from odoo.fields import Domain
from odoo.tools import SQL


def _first_order_sql(model, alias, query):
    """The order is confirmed and no confirmed order of its customer's commercial entity came before it."""
    return SQL(
        """
        %(state)s = 'sale' AND NOT EXISTS (
            SELECT 1 FROM sale_order earlier
              JOIN res_partner earlier_partner ON earlier_partner.id = earlier.partner_id
              JOIN res_partner partner ON partner.id = %(partner)s
             WHERE earlier.state = 'sale'
               AND earlier_partner.commercial_partner_id = partner.commercial_partner_id
               AND (earlier.date_order, earlier.id) < (%(date)s, %(id)s))
        """,
        state=model._field_to_sql(alias, "state", query),
        partner=model._field_to_sql(alias, "partner_id", query),
        date=model._field_to_sql(alias, "date_order", query),
        id=SQL.identifier(alias, "id"),
        to_flush=model.env["res.partner"]._fields["commercial_partner_id"],
    )


def _product_flag_sql(flag, with_category):
    """``to_sql`` of a search: a line of the order is a product (or, ``with_category``, in a category) flagged ``flag``.

    One EXISTS the database plans in a fraction of the time the ORM's nested subqueries of the same
    path take: the automated rules run it on every confirmed order.
    """

    def to_sql(model, alias, query):
        Template, Category = model.env["product.template"], model.env["product.category"]
        to_flush = [Template._fields[flag], model.env["sale.order.line"]._fields["product_id"]]
        category = SQL()
        if with_category:
            category = SQL(" OR pc.%s", SQL.identifier(flag))
            to_flush.append(Category._fields[flag])
        return SQL(
            """
            EXISTS (SELECT 1 FROM sale_order_line l
                      JOIN product_product pp ON pp.id = l.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                      LEFT JOIN product_category pc ON pc.id = pt.categ_id
                     WHERE l.order_id = %(order)s AND (pt.%(flag)s%(category)s))
            """,
            order=SQL.identifier(alias, "id"),
            flag=SQL.identifier(flag),
            category=category,
            to_flush=tuple(to_flush),
        )

    return to_sql


def _boolean_search(domain, value):
    """The domain of a boolean field searched with ``in``: ``domain`` holds for the True ones."""
    wanted = {bool(item) for item in value}
    if wanted >= {True, False}:
        return Domain.TRUE
    return domain if True in wanted else ~domain


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "pr.later.mixin"]

    pr_is_first_order = fields.Boolean(
        string="First Purchase",
        compute="_compute_pr_is_first_order",
        search="_search_pr_is_first_order",
        help="The first confirmed order of the customer's commercial entity.",
    )
    pr_has_premium = fields.Boolean(
        string="Premium Purchase", compute="_compute_pr_flags", search="_search_pr_has_premium"
    )
    pr_has_renewal = fields.Boolean(string="Renewal", compute="_compute_pr_flags", search="_search_pr_has_renewal")
    pr_early_access_warning = fields.Text(string="Early Access Warning", compute="_compute_pr_early_access_warning")

    @api.model_create_multi
    def create(self, vals_list):
        self._pr_check_later(vals_list)
        return super().create(
            [self._pr_later_mark(vals) if vals.get("state") == "sale" else vals for vals in vals_list]
        )

    def write(self, vals):
        """Orders confirmed wait, in the statement that confirms them, for the rule that records their
        purchases moments later (``base_automation_later.py``): a salesperson confirms as quickly as
        without the addon. Orders confirmed already are not confirmed again."""
        self._pr_check_later([vals])
        confirming = self.filtered(lambda order: order.state != "sale") if vals.get("state") == "sale" else None
        if not confirming:
            return super().write(vals)
        if confirming != self:
            super(SaleOrder, self - confirming).write(vals)
        return super(SaleOrder, confirming).write(self._pr_later_mark(vals))

    @api.depends("state", "partner_id.commercial_partner_id", "date_order")
    def _compute_pr_is_first_order(self):
        commercial_ids = self.partner_id.commercial_partner_id.ids
        first = {}
        if commercial_ids:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT DISTINCT ON (p.commercial_partner_id) p.commercial_partner_id, so.id
                      FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale' AND p.commercial_partner_id = ANY(%s)
                     ORDER BY p.commercial_partner_id, so.date_order, so.id
                    """,
                    commercial_ids,
                )
            )
            first = dict(self.env.cr.fetchall())
        for order in self:
            order.pr_is_first_order = first.get(order.partner_id.commercial_partner_id.id) == order.id

    def _search_pr_is_first_order(self, operator, value):
        # Searchable, so that an automated rule filters a whole batch of orders in one query.
        if operator != "in":
            return NotImplemented
        return _boolean_search(Domain.custom(to_sql=_first_order_sql), value)

    @api.depends("order_line.product_id")
    def _compute_pr_flags(self):
        for order in self:
            products = order.order_line.product_id.product_tmpl_id
            order.pr_has_premium = any(products.mapped("pr_premium")) or any(products.categ_id.mapped("pr_premium"))
            order.pr_has_renewal = any(products.mapped("pr_renewal"))

    def _search_pr_has_premium(self, operator, value):
        if operator != "in":
            return NotImplemented
        if not self._pr_any_flagged("pr_premium"):
            return _boolean_search(Domain.FALSE, value)
        return _boolean_search(Domain.custom(to_sql=_product_flag_sql("pr_premium", with_category=True)), value)

    def _search_pr_has_renewal(self, operator, value):
        if operator != "in":
            return NotImplemented
        if not self._pr_any_flagged("pr_renewal"):
            return _boolean_search(Domain.FALSE, value)
        return _boolean_search(Domain.custom(to_sql=_product_flag_sql("pr_renewal", with_category=False)), value)

    @api.model
    @tools.ormcache("flag")
    def _pr_any_flagged(self, flag):
        """Whether a product (or, for premium, a product category) is flagged ``flag``, archived ones too.

        Cached, so that the automated rules of a company that flags none run no query for it on every
        confirmed order; product templates and categories clear it when they change a flag.
        """
        Template = self.env["product.template"].sudo().with_context(active_test=False)
        if Template.search_count([(flag, "=", True)], limit=1):
            return True
        Category = self.env["product.category"].sudo()
        return flag == "pr_premium" and bool(Category.search_count([("pr_premium", "=", True)], limit=1))

    # ------------------------------------------------------------
    # EARLY ACCESS
    # ------------------------------------------------------------

    @api.depends("partner_id", "pricelist_id", "order_line.product_id", "date_order", "company_id")
    def _compute_pr_early_access_warning(self):
        for order in self:
            order.pr_early_access_warning = "\n".join(order._pr_early_access_issues()) or False

    @api.onchange("pricelist_id")
    def _onchange_pr_early_access_pricelist(self):
        issues = self._pr_early_access_issues(products=self.env["product.template"])
        if issues:
            return {"warning": {"title": self.env._("Early access"), "message": "\n".join(issues)}}
        return None

    def _pr_early_access_issues(self, products=None):
        """Why this order sells early-access products or a pricelist to a customer not yet entitled to them.

        A customer is entitled from their tier (ranked at or above the one required) or from a running
        early-access offer; everyone is from the public date on.
        """
        self.ensure_one()
        if not self.partner_id:
            return []
        if products is None:
            products = self.order_line.product_id.product_tmpl_id
        products = products.filtered(lambda p: p.pr_early_tier_id and p.pr_public_date)
        pricelist = self.pricelist_id
        if not products and not (pricelist.pr_early_tier_id and pricelist.pr_public_date):
            return []
        company = self.company_id or self.env.company
        day = company._pr_local_date(self.date_order or fields.Datetime.now())  # the company's day
        products = products.filtered(lambda p: p.pr_public_date > day)
        pricelist_early = pricelist.pr_early_tier_id and pricelist.pr_public_date and pricelist.pr_public_date > day
        if not products and not pricelist_early:
            return []
        holder = self.partner_id.with_company(company)._pr_holder()
        member = (
            self.env["pr.member"]
            .sudo()
            .search([("partner_id", "=", holder.id), ("company_id", "=", company.id)], limit=1)
        )
        ranks = {tier: rank for rank, tier in enumerate(self.env["pr.tier"].sudo()._get_ranked(company))}
        rank = ranks.get(member.tier_id, -1)
        granted = self.env["pr.offer"]._early_access_granted(holder, company, products, day)
        issues = [
            self.env._(
                "%(product)s is in early access for %(tier)s customers until %(date)s; %(customer)s is not entitled yet.",
                product=product.display_name,
                tier=product.pr_early_tier_id.name,
                date=product.pr_public_date,
                customer=holder.display_name,
            )
            for product in products - granted
            if rank < ranks.get(product.pr_early_tier_id.sudo(), 0)
        ]
        if pricelist_early and rank < ranks.get(pricelist.pr_early_tier_id.sudo(), 0):
            issues.append(
                self.env._(
                    "The pricelist %(pricelist)s is in early access for %(tier)s customers until %(date)s; "
                    "%(customer)s is not entitled yet.",
                    pricelist=pricelist.display_name,
                    tier=pricelist.pr_early_tier_id.name,
                    date=pricelist.pr_public_date,
                    customer=holder.display_name,
                )
            )
        return issues
