from pr_lib.referral import same_phone


def test_a_number_written_nationally_or_internationally_is_one():
    assert same_phone("+62 812-3456-7890", "0812 3456 7890")
    assert same_phone("0062 812 3456 7890", "+62 (812) 3456 7890")
    assert same_phone("+6281234567890", "+6281234567890")


def test_different_or_too_short_numbers_are_not_one():
    assert not same_phone("+62 812-3456-7890", "0812 3456 7891")
    assert not same_phone("+62 812 555", "0812 555"), "too few digits to tell"
    assert not same_phone("", "0812 3456 7890")
    assert not same_phone(None, None)
