import random

from pr_lib.referral import ALPHABET, generate_code, normalize_address, normalize_code, normalize_phone


def test_codes_avoid_ambiguous_characters():
    rng = random.Random(3)
    codes = {generate_code(randbelow=rng.randrange) for _ in range(2000)}
    assert len(codes) == 2000
    assert not set("".join(codes)) & set("0O1IL")
    assert all(len(code) == 8 for code in codes)
    assert set(ALPHABET) >= set("".join(codes))


def test_normalize_code_accepts_what_people_type():
    assert normalize_code(" abcd-2345 ") == "ABCD2345"
    assert normalize_code("ABCD2345") == "ABCD2345"


def test_normalize_code_refuses_what_cannot_be_a_code():
    for text in (
        "ABCD234",
        "ABCD23456",
        "ABCD2340",
        "ABCDO345",
        "ABCD2I45",
        "ab/d2345",
        "",
        None,
        12345678,
        "ABCD2345' OR 1=1",
    ):
        assert normalize_code(text) is None, text


def test_phone_and_address_normalization():
    assert normalize_phone("+62 812-3456-789") == normalize_phone("0062 812 3456 789") == "628123456789"
    assert normalize_phone("") is None
    assert normalize_address("Jl. Merdeka 10", "40111", "Bandung") == normalize_address(
        "JL MERDEKA 10", "40111", "bandung"
    )
    assert normalize_address("", "40111", "Bandung") is None
