import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";
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

// Every main screen of the app in Indonesian, with none of the addon's English on it: the Python
// side of the test puts the English texts in a system parameter; each screen's visible text is
// checked against them (read again after each page load, which starts the tour's code afresh).
let englishTerms = [];

async function checkNoEnglish(where) {
    if (!englishTerms.length) {
        const value = await rpc("/web/dataset/call_kw/ir.config_parameter/get_param", {
            model: "ir.config_parameter",
            method: "get_param",
            args: ["positive_reinforcement.tour_english_terms"],
            kwargs: {},
        });
        englishTerms = JSON.parse(value || "[]");
        if (!englishTerms.length) {
            throw new Error("No English texts to look for");
        }
    }
    const text = document.body.innerText.split(/\s+/).join(" ").toLowerCase();
    const found = englishTerms.filter((term) => text.includes(term.toLowerCase()));
    if (found.length) {
        throw new Error(`English on ${where}: ${found.join(" | ")}`);
    }
}

function screen(url, title, ready = ".o_view_controller .o_content", shown = `.o_breadcrumb:contains(${title})`) {
    return [
        stepUtils.goToUrl(url),
        { content: `${title} is shown`, trigger: shown },
        { content: `${title} is drawn`, trigger: ready },
        { content: `No English on ${title}`, trigger: ready, run: () => checkNoEnglish(title) },
    ];
}

function firstRecord(title) {
    return [
        { content: `Open a record of ${title}`, trigger: ".o_data_row .o_data_cell:first", run: "click" },
        { content: `The form of ${title}`, trigger: ".o_form_view .o_form_sheet" },
        { content: `No English on a form of ${title}`, trigger: ".o_form_view .o_form_sheet", run: () => checkNoEnglish(`${title} (form)`) },
    ];
}

const action = (xmlid) => `/odoo/action-positive_reinforcement.${xmlid}`;

registry.category("web_tour.tours").add("pr_indonesian_everywhere", {
    steps: () => [
        { content: "The app's menus", trigger: ".o_main_navbar .o_menu_sections button:contains(Pelanggan)" },
        ...screen(action("pr_member_action"), "Anggota Loyalitas"),
        ...firstRecord("Anggota Loyalitas"),
        ...screen(action("pr_ledger_entry_action"), "Buku Poin"),
        ...screen(action("pr_reward_rule_action"), "Aturan Hadiah"),
        ...firstRecord("Aturan Hadiah"),
        ...screen(action("pr_reward_action"), "Katalog Hadiah"),
        ...screen(action("pr_referral_action"), "Rujukan"),
        ...screen(action("pr_metric_action"), "Metrik Pelanggan"),
        { content: "The metrics as a list", trigger: ".o_switch_view.o_list", run: "click" },
        { trigger: ".o_list_view .o_data_row" },
        { content: "No English on the metrics list", trigger: ".o_list_view", run: () => checkNoEnglish("Metrik Pelanggan (list)") },
        ...screen(action("pr_experiment_action"), "Eksperimen"),
        ...screen(
            action("res_config_settings_action"),
            "Pengaturan",
            ".app_settings_block[data-key=positive_reinforcement]",
            ".o_settings_container, .app_settings_block[data-key=positive_reinforcement]"
        ),
    ],
});
