{
    "name": "Positive Reinforcement: eCommerce",
    "version": "19.0.1.0.0",
    "category": "Website/Website",
    "summary": "Customers pay part of their cart with their reward points",
    "author": "Positive Reinforcement Contributors",
    "website": "https://github.com/positive-reinforcement/positive_reinforcement",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["positive_reinforcement", "website_sale_loyalty"],
    "data": ["views/website_sale_templates.xml"],
    "auto_install": True,
}
