"""The arithmetic of a sales document, in one place: line amounts, the document discount, VAT per
category and rate on the sum of that rate's lines (EN 16931 CAL-01 to CAL-09), totals.

Prices are entered tax-excluded (B2B) or tax-included (shops). Tax-excluded: VAT per rate is
round(base × rate). Tax-included: the gross per rate is what the customer saw and is kept
exactly; base = round(gross / (1 + rate)), VAT = gross − base (fr-rules CAL-12). Either way the
stored lines, breakdown and totals add up to the cent:
  Σ line nets = lines total (BT-106); lines total − allowances = total excl. tax (BT-109);
  Σ VAT per rate = total VAT (BT-110); BT-109 + BT-110 = total incl. tax (BT-112).
In tax-included mode each line's net is derived from its gross, and the rounding difference of a
rate is carried by its largest line, so the lines still add up to the breakdown.
Pure functions: no database, no Django models.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from lmb.money import HUNDRED, ZERO, amount, excl_from_incl, incl_from_excl, vat_on

ONE = Decimal(1)


@dataclass
class LineInput:
    quantity: Decimal
    unit_price: Decimal  # tax-excluded or tax-included, per the document's mode
    vat_rate: Decimal  # percent
    vat_category: str = "S"
    discount_percent: Decimal = ZERO
    discountable: bool = True  # the document discount applies (never to eco-participation, ECO-03)


@dataclass
class LineAmounts:
    net: Decimal  # tax-excluded, BT-131
    gross: Decimal  # tax-included


@dataclass
class VatGroup:
    category: str
    rate: Decimal
    lines_net: Decimal = ZERO  # Σ line nets of the group
    allowance: Decimal = ZERO  # its share of the document discount, tax-excluded (BT-92)
    base: Decimal = ZERO  # BT-116
    vat: Decimal = ZERO  # BT-117
    gross: Decimal = ZERO  # base + VAT

    def as_dict(self):
        return {
            "category": self.category,
            "rate": format(self.rate, "f"),  # "20", "5.5": never "2E+1"
            "lines_net": str(self.lines_net),
            "allowance": str(self.allowance),
            "base": str(self.base),
            "vat": str(self.vat),
            "gross": str(self.gross),
        }


@dataclass
class DocumentTotals:
    lines: list[LineAmounts]
    groups: list[VatGroup] = field(default_factory=list)
    lines_total: Decimal = ZERO
    allowance_total: Decimal = ZERO
    total_excl_tax: Decimal = ZERO
    total_vat: Decimal = ZERO
    total_incl_tax: Decimal = ZERO


# The kinds of line the document discount applies to: never the eco-participation (ECO-03),
# nor shipping.
DISCOUNTABLE_KINDS = ("product", "text")


def of_lines(lines, *, prices_include_tax: bool, discount_percent: Decimal = ZERO) -> DocumentTotals:
    """``compute`` for a document's lines, or for what they would be: anything with ``quantity``,
    ``unit_price``, ``vat_rate``, ``vat_category``, ``discount_percent`` and ``kind`` (a stored
    line, or an order line taken for the quantity a delivery note ships)."""
    inputs = [
        LineInput(
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            vat_category=line.vat_category,
            discount_percent=line.discount_percent,
            discountable=line.kind in DISCOUNTABLE_KINDS,
        )
        for line in lines
    ]
    return compute(inputs, prices_include_tax=prices_include_tax, discount_percent=discount_percent)


def eco_participation_total(eco_lines, *, prices_include_tax: bool) -> Decimal:
    """« dont éco-participation TTC » (ECO-01): ``eco_lines`` are (VAT rate, LineAmounts) of the
    eco-participation lines; their gross as computed, or their net with its VAT, to the cent."""
    return sum(
        (amounts.gross if prices_include_tax else incl_from_excl(amounts.net, rate, places=2) for rate, amounts in eco_lines),
        ZERO,
    )


def _line_total(line: LineInput) -> Decimal:
    """Quantity × unit price × (1 − discount), to the cent, in the document's mode."""
    return amount(line.quantity * line.unit_price * (ONE - line.discount_percent / HUNDRED))


def compute(lines: list[LineInput], *, prices_include_tax: bool, discount_percent: Decimal = ZERO) -> DocumentTotals:
    """Amounts of every line, the VAT breakdown per (category, rate) and the totals."""
    entered = [_line_total(line) for line in lines]
    by_group: dict[tuple, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        by_group[(line.vat_category, Decimal(line.vat_rate).normalize())].append(index)
    results = [LineAmounts(net=ZERO, gross=ZERO) for _ in lines]
    groups = []
    for (category, rate), indexes in sorted(by_group.items(), key=lambda item: (item[0][0], item[0][1])):
        group = _group(
            category, rate, [lines[i] for i in indexes], [entered[i] for i in indexes], prices_include_tax, discount_percent
        )
        for index, line_amounts in zip(indexes, group.pop("lines"), strict=True):
            results[index] = line_amounts
        groups.append(group["group"])
    totals = DocumentTotals(lines=results, groups=groups)
    totals.lines_total = sum((line.net for line in results), ZERO)
    totals.allowance_total = sum((group.allowance for group in groups), ZERO)
    totals.total_excl_tax = sum((group.base for group in groups), ZERO)
    totals.total_vat = sum((group.vat for group in groups), ZERO)
    totals.total_incl_tax = totals.total_excl_tax + totals.total_vat
    return totals


def _group(category, rate, lines, entered, prices_include_tax, discount_percent):
    """One (category, rate) group: its discount share, base, VAT and each line's net and gross."""
    discountable = sum((value for value, line in zip(entered, lines, strict=True) if line.discountable), ZERO)
    allowance_entered = amount(discountable * discount_percent / HUNDRED)  # in the document's mode
    total_entered = sum(entered, ZERO)
    if prices_include_tax:
        gross = total_entered - allowance_entered
        base = excl_from_incl(gross, rate, places=2)
        vat = gross - base
        nets = [excl_from_incl(value, rate, places=2) for value in entered]
        lines_net = sum(nets, ZERO)
        allowance = excl_from_incl(allowance_entered, rate, places=2)
        # Rounding line by line may miss the group's base by a cent or two: the largest line
        # carries the difference, so Σ line nets − allowance = base exactly.
        difference = base + allowance - lines_net
        if difference and nets:
            largest = max(range(len(nets)), key=lambda i: abs(entered[i]))
            nets[largest] += difference
            lines_net += difference
        grosses = entered
    else:
        lines_net = total_entered
        allowance = allowance_entered
        base = lines_net - allowance
        vat = vat_on(base, rate)
        gross = base + vat
        nets = entered
        grosses = [value + vat_on(value, rate) for value in entered]  # shown per line, not summed
    group = VatGroup(category=category, rate=rate, lines_net=lines_net, allowance=allowance, base=base, vat=vat, gross=gross)
    return {"group": group, "lines": [LineAmounts(net=n, gross=g) for n, g in zip(nets, grosses, strict=True)]}
