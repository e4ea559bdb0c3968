from odoo import http
from odoo.http import request
from odoo.tools import email_normalize

from ..pr_lib.referral import normalize_code

SESSION_KEY = "pr_referral_code"


class ReferralController(http.Controller):
    """The public side of the referral program, served by the addon itself (no website builder).

    Every code, valid or not, gets the same page after the same look-up: nothing tells a visitor
    whether a code exists, so codes cannot be enumerated.
    """

    @http.route("/referral/<string:code>", type="http", auth="public", methods=["GET"], sitemap=False)
    def referral_landing(self, code, **kwargs):
        request.env["pr.referral"].sudo()._find_referrer(code)  # same work for every code
        request.session[SESSION_KEY] = normalize_code(code) or ""
        return request.render("positive_reinforcement.referral_landing", {"code": normalize_code(code) or ""})

    @http.route("/referral/join", type="http", auth="public", methods=["POST"], sitemap=False)
    def referral_join(self, name="", email="", phone="", company="", **kwargs):
        """The friend leaves contact details: a CRM lead, attributed to the referrer when the code is valid."""
        email = email_normalize(email or "")
        name = (name or "").strip()[:128]
        if not name or not email:
            return request.render(
                "positive_reinforcement.referral_landing",
                {"code": request.session.get(SESSION_KEY, ""), "error": True, "name": name, "email": email or ""},
            )
        env = request.env(su=True)
        lead = env["crm.lead"].create(
            {
                "name": env._("Referred friend: %(name)s", name=name),
                "contact_name": name,
                "partner_name": (company or "").strip()[:128],
                "email_from": email,
                "phone": (phone or "").strip()[:64],
                "type": "lead",
            }
        )
        referrer = env["pr.referral"]._find_referrer(request.session.get(SESSION_KEY, ""))
        if referrer and referrer.email_normalized != email:
            env["pr.referral"]._refer(
                referrer, lead=lead, channel="link", ip=request.httprequest.remote_addr, email=email
            )
        return request.render("positive_reinforcement.referral_thanks", {})
