import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// The back office in Indonesian: the app's menus and views, and no English left on them.
registry.category("web_tour.tours").add("pr_indonesian_backoffice", {
    steps: () => [
        { content: "The app's name", trigger: ".o_main_navbar .o_menu_brand:contains(Penguatan Positif)" },
        { content: "The Customers menu", trigger: ".o_main_navbar .o_menu_sections button:contains(Pelanggan)" },
        { content: "The members list title", trigger: ".o_breadcrumb:contains(Anggota Loyalitas)" },
        { content: "A column of the list", trigger: ".o_list_view th:contains(Poin Tersedia)" },
        stepUtils.goToUrl("/odoo/action-positive_reinforcement.pr_reward_rule_action"),
        { trigger: ".o_breadcrumb:contains(Aturan Hadiah)" },
        { trigger: ".o_list_view .o_data_row .o_data_cell", run: "click" },
        { content: "A tab of the rule form", trigger: ".o_form_view .o_notebook a:contains(Hasil)" },
        stepUtils.goToUrl("/odoo/action-positive_reinforcement.pr_metric_action"),
        { content: "The metrics dashboard", trigger: ".o_breadcrumb:contains(Metrik Pelanggan)" },
    ],
});

// The portal page in Indonesian.
registry.category("web_tour.tours").add("pr_indonesian_portal", {
    steps: () => [
        { content: "The page title", trigger: ".o_portal_wrap:contains(Hadiah Saya)" },
        { trigger: "#pr_balance:contains(Poin tersedia):contains(Tingkatan Anda)" },
        { trigger: "#pr_catalogue button:contains(Tukar)" },
        { trigger: "#pr_referral h4:contains(Undang teman Anda)" },
        { trigger: "#pr_history h4:contains(Riwayat poin)" },
    ],
});

// Any screen, for its picture: wait until the view is drawn.
registry.category("web_tour.tours").add("pr_screen_ready", {
    steps: () => [{ trigger: ".o_view_controller .o_content, .o_pr_rewards" }],
});
