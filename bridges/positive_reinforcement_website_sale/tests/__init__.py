from . import test_cart_points
