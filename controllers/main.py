from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import email_normalize

from ..pr_lib.referral import normalize_code

SESSION_KEY = "pr_referral_code"
# The longest text each field of the referral page takes: longer is refused with a message, never cut.
MAX_LENGTHS = {"name": 128, "email": 254, "phone": 40, "company": 128, "message": 2000}


class ReferralController(http.Controller):
    """The public side of the referral program, served by the addon itself (no website builder).

    Every code, valid or not, gets the same page after the same look-up: nothing tells a visitor
    whether a code exists, so codes cannot be enumerated. The first valid code of a visit stands:
    a later link in the same session does not take the friend over. The pages speak the language
    of a signed-in visitor, else their browser's.
    """

    @http.route("/referral/<string:code>", type="http", auth="public", methods=["GET"], sitemap=False)
    def referral_landing(self, code, **kwargs):
        self._set_visitor_lang()
        Referral = request.env["pr.referral"].sudo()
        referrer = Referral._find_referrer(code)  # same work for every code
        first = request.session.get(SESSION_KEY)
        if not (first and Referral._find_referrer(first)):
            request.session[SESSION_KEY] = normalize_code(code) or ""
        return self._render_landing(referrer, {"code": normalize_code(code) or ""})

    @http.route("/referral/join", type="http", auth="public", methods=["POST"], sitemap=False)
    def referral_join(self, name="", email="", phone="", company="", message="", **kwargs):
        """The friend leaves contact details: a CRM lead, attributed to the referrer when the code is valid.

        Each field has a maximum length: a longer text is refused with a message and nothing is
        written. One network address leaves at most the company's number of leads per hour.
        """
        self._set_visitor_lang()
        env = request.env(su=True)
        referrer = env["pr.referral"]._find_referrer(request.session.get(SESSION_KEY, ""))
        env = env(context=dict(env.context, allowed_company_ids=self._company(referrer).ids))
        raw = {"name": name, "email": email, "phone": phone, "company": company, "message": message}
        details = {key: (value or "").strip() for key, value in raw.items()}
        # What the visitor typed, shown again with the message; "company" names the page's company there.
        form = {key: value for key, value in details.items() if key != "company"}
        form.update(code=request.session.get(SESSION_KEY, ""), company_name=details["company"])
        too_long = self._too_long_messages(details)
        if too_long:
            return self._render_landing(referrer, {**form, "error_messages": too_long})
        details["email"] = email_normalize(details["email"])
        if not details["name"] or not details["email"]:
            return self._render_landing(referrer, {**form, "error": True})
        ip = request.httprequest.remote_addr or ""
        ip_hash = env["pr.referral"]._hash_ip(ip)
        try:
            env["crm.lead"]._pr_check_join_limit(ip_hash)
        except UserError as error:
            return self._render_landing(referrer, {**form, "error_messages": [error.args[0]]}, status=429)
        env["crm.lead"]._pr_create_from_referral_page(details, referrer, ip=ip, ip_hash=ip_hash)
        return request.render("positive_reinforcement.referral_thanks", {"company": self._company(referrer)})

    # ------------------------------------------------------------
    # TOOLS
    # ------------------------------------------------------------

    def _set_visitor_lang(self):
        """A signed-in visitor reads the pages in their own language, as on their portal."""
        user = request.env.user
        installed = {code for code, _name in request.env["res.lang"].get_installed()}
        if not user._is_public() and user.lang in installed:
            request.update_context(lang=user.lang)

    def _company(self, referrer):
        """The company of the program: the referrer's, else the one the visit is served by."""
        return referrer.company_id or request.env.company

    def _render_landing(self, referrer, values, status=200):
        values = {"company": self._company(referrer), **values}
        return request.render("positive_reinforcement.referral_landing", values, status=status)

    def _too_long_messages(self, details):
        """One clear message per field longer than the page takes, in the visitor's language."""
        labels = {
            "name": request.env._("Your name"),
            "email": request.env._("Email"),
            "phone": request.env._("Phone"),
            "company": request.env._("Company"),
            "message": request.env._("Message"),
        }
        return [
            request.env._(
                "%(field)s is too long: %(max)s characters at most, you wrote %(count)s.",
                field=labels[key],
                max=limit,
                count=len(details[key]),
            )
            for key, limit in MAX_LENGTHS.items()
            if len(details[key]) > limit
        ]
