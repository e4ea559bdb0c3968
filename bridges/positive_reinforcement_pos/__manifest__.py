{
    "name": "Positive Reinforcement: Point of Sale",
    "version": "19.0.1.0.0",
    "category": "Sales/Point of Sale",
    "summary": "Earn and spend reward points at the till: tier and points of the customer, pay with points, refunds",
    "author": "Positive Reinforcement Contributors",
    "website": "https://github.com/positive-reinforcement/positive_reinforcement",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["positive_reinforcement", "pos_loyalty"],
    "data": ["data/base_automation_data.xml"],
    "assets": {
        "point_of_sale._assets_pos": ["positive_reinforcement_pos/static/src/app/**/*"],
        "web.assets_tests": ["positive_reinforcement_pos/static/tests/tours/**/*"],
    },
    "auto_install": True,
}
