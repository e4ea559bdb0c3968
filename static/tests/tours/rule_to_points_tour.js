import { registry } from "@web/core/registry";

// A manager creates a reward rule from the back office.
registry.category("web_tour.tours").add("pr_create_reward_rule", {
    steps: () => [
        { trigger: ".o_form_view .o_field_widget[name=name] input", run: "edit Tour first order bonus" },
        { trigger: ".o_field_widget[name=behavior_id] input", run: "edit First purchase" },
        { trigger: ".o-autocomplete--dropdown-item:contains(First purchase)", run: "click" },
        { content: "Outcomes", trigger: ".o_notebook a:contains(Outcomes)", run: "click" },
        { trigger: ".o_field_widget[name=points] input", run: "edit 77" },
        { trigger: ".o_form_button_save", run: "click" },
        { content: "Saved", trigger: ".o_form_view .o_form_saved" },
    ],
});

// A salesperson confirms the customer's first order.
registry.category("web_tour.tours").add("pr_confirm_order", {
    steps: () => [
        { trigger: ".o_form_view button[name=action_confirm]:not(:disabled)", run: "click" },
        { content: "Confirmed", trigger: ".o_statusbar_status .o_arrow_button_current:contains(Sales Order)" },
    ],
});

// The customer's points show the rule's reward.
registry.category("web_tour.tours").add("pr_see_points", {
    steps: () => [
        { content: "The Loyalty tab", trigger: ".o_notebook a:contains(Loyalty)", run: "click" },
        { content: "77 points available", trigger: ".o_field_widget[name=pr_points_available]:contains(77)" },
        { content: "The lifetime points count them too", trigger: ".o_field_widget[name=pr_points_lifetime]:contains(77)" },
    ],
});

// An administrator makes the rule of confirmed orders run in the transaction again.
registry.category("web_tour.tours").add("pr_rule_runs_at_once", {
    steps: () => [
        {
            content: "The rule runs moments later, as shipped",
            trigger: ".o_form_view .o_field_widget[name=pr_later] input:checked",
            run: "click",
        },
        {
            content: "Now it does not, saved at once as Odoo's toggles are",
            trigger: ".o_form_saved .o_field_widget[name=pr_later] input:not(:checked)",
        },
    ],
});
