from . import test_ledger
from . import test_expiry
from . import test_pending
from . import test_tiers
from . import test_access
from . import test_performance
from . import test_i18n
