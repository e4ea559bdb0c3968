from . import pos_order
from . import res_partner
from . import res_company
from . import loyalty_program
from . import pr_ledger_entry
from . import sale_order
