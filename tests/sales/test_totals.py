"""The arithmetic of documents: whatever the mix of lines, discounts and entry modes, the lines,
the VAT breakdown and the totals add up to the cent (EN 16931 CAL-01 to CAL-09, fr-rules CAL-12)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from lmb.money import amount, vat_on
from sales.totals import LineInput, compute

CENT = Decimal("0.01")
RATES = [Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), Decimal("0")]


def decimals(low, high, places):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False, allow_infinity=False)


@st.composite
def line_inputs(draw):
    rate = draw(st.sampled_from(RATES))
    return LineInput(
        quantity=draw(decimals("0.001", "500", 3)),
        unit_price=draw(decimals("0", "5000", draw(st.integers(0, 6)))),
        vat_rate=rate,
        vat_category="S" if rate else draw(st.sampled_from(["K", "G", "AE", "E"])),
        discount_percent=draw(st.one_of(st.just(Decimal(0)), decimals("0", "100", 2))),
        discountable=draw(st.booleans()),
    )


def has_cents(value: Decimal) -> bool:
    return value == value.quantize(CENT)


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(line_inputs(), min_size=1, max_size=12),
    prices_include_tax=st.booleans(),
    discount=st.one_of(st.just(Decimal(0)), decimals("0", "100", 2)),
)
def test_totals_add_up_to_the_cent_for_any_mix_of_lines(lines, prices_include_tax, discount):
    totals = compute(lines, prices_include_tax=prices_include_tax, discount_percent=discount)

    assert sum((line.net for line in totals.lines), Decimal(0)) == totals.lines_total  # BT-106 = Σ BT-131
    assert totals.lines_total - totals.allowance_total == totals.total_excl_tax  # BT-109
    assert sum((group.base for group in totals.groups), Decimal(0)) == totals.total_excl_tax
    assert sum((group.vat for group in totals.groups), Decimal(0)) == totals.total_vat  # BT-110
    assert totals.total_excl_tax + totals.total_vat == totals.total_incl_tax  # BT-112
    assert len({(group.category, group.rate) for group in totals.groups}) == len(totals.groups)  # one per (category, rate)
    for group in totals.groups:
        members = [
            index for index, line in enumerate(lines) if (line.vat_category, line.vat_rate) == (group.category, group.rate)
        ]
        assert sum((totals.lines[i].net for i in members), Decimal(0)) == group.lines_net
        assert group.lines_net - group.allowance == group.base  # BT-116
        assert group.base + group.vat == group.gross
        if prices_include_tax:
            # The price the customer saw is kept; VAT may differ from round(base × rate) by a cent (CAL-12).
            entered = sum(
                (amount(lines[i].quantity * lines[i].unit_price * (1 - lines[i].discount_percent / 100)) for i in members),
                Decimal(0),
            )
            discountable = sum(
                (
                    amount(lines[i].quantity * lines[i].unit_price * (1 - lines[i].discount_percent / 100))
                    for i in members
                    if lines[i].discountable
                ),
                Decimal(0),
            )
            assert group.gross == entered - amount(discountable * discount / 100)
            assert abs(group.vat - vat_on(group.base, group.rate)) <= CENT
        else:
            assert group.vat == vat_on(group.base, group.rate)  # CAL-06, exactly
        if group.rate == 0:
            assert group.vat == 0
    amounts = [totals.lines_total, totals.allowance_total, totals.total_excl_tax, totals.total_vat, totals.total_incl_tax]
    assert all(has_cents(value) for value in amounts + [line.net for line in totals.lines])


def test_vat_is_computed_on_the_sum_of_a_rate_never_by_adding_rounded_line_vat():
    # Seven lines of 0.07 € HT at 20 %: rounded line by line, 0.01 × 7 = 0.07 of VAT; on the base, 0.49 × 20 % = 0.10.
    lines = [LineInput(quantity=Decimal(1), unit_price=Decimal("0.07"), vat_rate=Decimal(20)) for _ in range(7)]
    totals = compute(lines, prices_include_tax=False)
    assert (totals.total_excl_tax, totals.total_vat, totals.total_incl_tax) == (Decimal("0.49"), Decimal("0.10"), Decimal("0.59"))


def test_tax_included_prices_keep_what_the_customer_saw():
    lines = [
        LineInput(quantity=Decimal(3), unit_price=Decimal("4.20"), vat_rate=Decimal("5.5")),
        LineInput(quantity=Decimal(1), unit_price=Decimal("49.90"), vat_rate=Decimal(20)),
        LineInput(quantity=Decimal(1), unit_price=Decimal("0.60"), vat_rate=Decimal(20), discountable=False),
    ]
    totals = compute(lines, prices_include_tax=True, discount_percent=Decimal(10))
    assert totals.total_incl_tax == Decimal("12.60") + Decimal("49.90") + Decimal("0.60") - Decimal("1.26") - Decimal("4.99")
    by_rate = {group.rate: group for group in totals.groups}
    assert by_rate[Decimal(20)].gross == Decimal("45.51")  # 49.90 − 10 % + 0.60 of eco-participation, never discounted
    assert by_rate[Decimal(20)].base == Decimal("37.93") and by_rate[Decimal(20)].vat == Decimal("7.58")
