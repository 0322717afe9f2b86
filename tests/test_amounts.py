import pytest

from indexer.ingest.amounts import AmountError, from_base_units, to_base_units


@pytest.mark.parametrize(
    "text, decimals, units",
    [
        ("0.058959708849230328", 18, 58959708849230328),
        ("5.2834", 18, 5283400000000000000),
        ("170.479995", 6, 170479995),
        ("0", 6, 0),
        ("32", 18, 32 * 10**18),
        (".5", 2, 50),
        ("7.", 2, 700),
        ("1.50000000000000000000", 18, 15 * 10**17),  # zeros past the precision carry no value
        ("123456789012345678901234567890.123456789012345678", 18, 123456789012345678901234567890123456789012345678),
    ],
)
def test_exact_base_units(text, decimals, units):
    assert to_base_units(text, decimals) == units


@pytest.mark.parametrize("text", ["1e5", "-1", "1,5", "abc", "", ".", "0x10", "1.2.3", " 1", "NaN", "inf"])
def test_rejects_anything_but_plain_decimals(text):
    with pytest.raises(AmountError):
        to_base_units(text, 8)


def test_refuses_to_round():
    with pytest.raises(AmountError, match="decimals"):
        to_base_units("1.0000001", 6)


@pytest.mark.parametrize("units, decimals, text", [(1500000, 6, "1.5"), (5, 18, "0.000000000000000005"), (0, 8, "0"), (-25, 1, "-2.5"), (7, 0, "7")])
def test_from_base_units(units, decimals, text):
    assert from_base_units(units, decimals) == text
    assert to_base_units(text.lstrip("-"), decimals) == abs(units)


def test_decimal_count_in_the_message_is_the_digits_written():
    """A 30-decimal amount ending in 0 has 30 decimals as written (it used to say 29)."""
    text = "0." + "1" * 29 + "0"
    with pytest.raises(AmountError, match=r"has 30 decimals; the coin has 18"):
        to_base_units(text, 18)
