"""ABN helper: from the situation, whether to bill Original Medicare and which liability modifier applies.

The logic follows CMS's ABN instructions and the liability-modifier definitions (GA, GX, GY, GZ); the modifier
rows in knowledge/rules/modifiers.yaml carry the sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.text import Analysis

ABN_RE = re.compile(r"\b(abn|advance beneficiary notice|waiver|cms-r-131)\b", re.I)
OPTION_RE = re.compile(r"\b(?:opt(?:ion)?\.?\s*#?\s*)(1|2|3|one|two|three)\b", re.I)
ASKS_DECISION_RE = re.compile(r"\b(mod(?:ifier|ifer)?s?|codes?|bill(?:ed|ing)?|claim|line)\b", re.I)
OTHER_TOPIC_RE = re.compile(
    r"\b(appeal|refund|valid|expire|expir\w+|how long|form version|new form|blanket|"
    r"routine(?:ly)?|frequency|every visit|signature|sign(?:ed)? (?:late|after))\b",
    re.I,
)
NOT_NECESSARY_RE = re.compile(
    r"(not (?:reasonable|medically|med\.?)\s*(?:and\s*)?necess\w*|medical necessity|"
    r"frequency limit|maintenance|not med nec|exceed\w* (?:the )?(?:kx|threshold))",
    re.I,
)
EXCLUDED_RE = re.compile(
    r"(statutor\w*|exclu\w+|never cover\w*|not a (?:medicare )?benefit|non-?covered by law|"
    r"not covered by law|noncovered service)",
    re.I,
)
DRY_NEEDLING_RE = re.compile(r"\b(dry needl\w*|tdn|dn|20560|20561)\b", re.I)
NO_ABN_RE = re.compile(
    r"\b(no abn|without (?:an |a )?abn|didn'?t (?:get|sign|give)|forgot|not signed|never signed|"
    r"no signed)\b",
    re.I,
)
OPTIONS = {"1": 1, "one": 1, "2": 2, "two": 2, "3": 3, "three": 3}


@dataclass(frozen=True)
class Situation:
    option: int | None
    reason: str  # "not_necessary" | "excluded" | "dry_needling" | "unknown"
    abn_signed: bool
    medicare_advantage: bool


@dataclass(frozen=True)
class Advice:
    text: str
    modifiers: tuple[str, ...]
    depends_on: tuple[str, ...] = ()
    basis: str = "abn"


def read_situation(a: Analysis) -> Situation | None:
    text = a.original
    if not ABN_RE.search(text) or OTHER_TOPIC_RE.search(text) or not ASKS_DECISION_RE.search(text):
        return None
    opt = OPTION_RE.search(text)
    option = OPTIONS[opt.group(1).lower()] if opt else None
    if DRY_NEEDLING_RE.search(text):
        reason = "dry_needling"
    elif EXCLUDED_RE.search(text):
        reason = "excluded"
    elif NOT_NECESSARY_RE.search(text):
        reason = "not_necessary"
    else:
        reason = "unknown"
    if option is None and reason == "unknown" and "medicare_advantage" not in a.payers:
        return None
    return Situation(
        option=option,
        reason=reason,
        abn_signed=not NO_ABN_RE.search(text),
        medicare_advantage="medicare_advantage" in a.payers,
    )


THERAPY = "the therapy modifier (GP for PT, GO for OT, GN for SLP)"


def advise(s: Situation) -> Advice:
    if s.medicare_advantage:
        return Advice(
            "*ABNs don't apply to Medicare Advantage* — the ABN (CMS-R-131) is for Original Medicare only. Check the "
            "plan: MA plans have their own coverage rules and pre-service determination process.",
            (),
            ("plan",),
        )
    if s.reason == "dry_needling":
        return Advice(
            "*Sources conflict for PT dry needling.* Medicare never covers dry needling by a PT (NCD 30.3.3 lists "
            "only physicians and qualified acupuncture-licensed providers). Report 20560/20561 with GP. APTA's 2020 "
            "guidance said a voluntary ABN with *GX*; APTA's February 2022 update warns MACs may still deny patient "
            "liability unless the claim is coded as CMS expects. Confirm the modifier with your MAC before billing.",
            ("GX", "GP", "GA"),
            ("payer",),
            "abn_dry_needling",
        )
    if s.reason == "excluded":
        return Advice(
            "*An ABN is voluntary (not required) for a statutorily excluded service*, and Medicare will deny it either "
            "way. With a voluntary ABN on file, use *GX* (it may be paired with *GY*); without one, use *GY*. The "
            f"patient is liable. Add {THERAPY}.",
            ("GX", "GY", "GP", "GO", "GN"),
        )
    if not s.abn_signed:
        return Advice(
            "*GZ* — when you expect Medicare to deny the service as not reasonable and necessary and no valid ABN was "
            "signed, bill Medicare with GZ. You (the provider) are liable; the patient cannot be billed. Add "
            f"{THERAPY}.",
            ("GZ", "GP", "GO", "GN"),
        )
    if s.option == 2:
        return Advice(
            "*Option 2: do not bill Medicare* — the patient wants the service and pays you now; no claim is sent, so "
            "there is no Medicare decision and the patient has no appeal rights. No liability modifier is needed "
            "because nothing is billed.",
            (),
        )
    if s.option == 3:
        return Advice(
            "*Option 3: the patient declined the service* — do not provide it and do not bill Medicare or the patient.",
            (),
        )
    return Advice(
        "*GA* — with a signed ABN, Option 1 means bill Medicare: put GA on the line along with "
        f"{THERAPY}. If Medicare denies it as not reasonable and necessary, the patient is liable and can appeal; if "
        "Medicare pays, refund what the patient paid beyond their deductible and coinsurance. Do not put GZ on the "
        "same line.",
        ("GA", "GP", "GO", "GN", "GZ"),
    )
