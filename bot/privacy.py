"""Patient-identifier redaction: applied before anything is stored or logged.

Staff paste real details into questions ("pt John Smith DOB 3/4/1951, MBI 1EG4-TE5-MK73 - KX?"). Billing
questions never need them, so the log keeps the question with each identifier replaced by a tag such as [NAME].
The patterns err on the side of redacting: a lost word in a stored question costs little, a leaked MBI costs a
breach report.
"""

from __future__ import annotations

import re

from bot.core.text import MODIFIERS

_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"  # noqa: E501
_MBI_CHAR = "AC-HJKMNP-RT-Y"

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,6}\b")),
    ("SSN", re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b")),
    (
        "MBI",
        re.compile(
            rf"\b[1-9][{_MBI_CHAR}][{_MBI_CHAR}0-9][0-9]-?[{_MBI_CHAR}][{_MBI_CHAR}0-9][0-9]-?[{_MBI_CHAR}]{{2}}[0-9]{{2}}\b",
            re.IGNORECASE,
        ),
    ),
    ("PHONE", re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)")),
    (
        "DATE",
        re.compile(
            r"\b(?:dob|d\.o\.b\.?|born|birthday|birth date|date of birth)\W{0,3}(?:[:#]\s*)?[\w/.-]+(?:\s+\d{1,2},?\s+\d{2,4})?",
            re.IGNORECASE,
        ),
    ),
    (
        "DATE",
        re.compile(
            rf"\b(?:\d{{1,2}}[/-]\d{{1,2}}[/-]\d{{2,4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS}\.?\s+\d{{4}})\b",
            re.IGNORECASE,
        ),
    ),
    ("DATE", re.compile(r"(?<![\d$.])\b\d{1,2}/\d{1,2}\b(?![\d/])")),
    (
        "ID",
        re.compile(
            r"\b(?:mrn|mbi|hicn|med(?:ical)?\s*rec(?:ord)?\s*(?:no|number|#)?|acct|account|claim|icn|dcn|member|subscriber|policy|"
            r"chart|case|ref(?:erence)?|auth(?:orization)?|id)\s*(?:no\.?|num(?:ber)?|#|id)?\s*[:#]?\s*(?=[A-Z-]{0,20}\d)[A-Z0-9][A-Z0-9-]{3,30}\b",
            re.IGNORECASE,
        ),
    ),
    ("ID", re.compile(r"\b(?=[A-Z0-9-]{0,40}\d)[A-Z0-9]{2,15}(?:-[A-Z0-9]{1,15}){2,6}\b", re.IGNORECASE)),
    ("ID", re.compile(r"(?<![\d$.,])\d{6,}(?![\d,])")),
    (
        "ADDRESS",
        re.compile(
            r"\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\s+){1,3}(?:st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|"
            r"drive|ct|court|way|pl|place|pkwy|parkway|hwy|highway|ter|terrace|cir|circle)\b\.?(?:,?\s*(?:apt|unit|suite|ste|#)\s*\w+)?",
            re.IGNORECASE,
        ),
    ),
)

# A capitalized word after these is taken as a name: "patient Mary Jones", "pt Garcia", "Mrs. Lee".
_NAME_CUE = re.compile(
    r"\b(?:patient|pt|client|member|beneficiary|mr|mrs|ms|miss|mx|dr|named|name is|name's|called)\b\.?\s*(?::\s*)?",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"(?:[A-Z][a-z'’-]+|[A-Z]\.)")
_HONORIFIC = re.compile(r"\b(?:mr|mrs|ms|miss|mx)\b\.?\s*$", re.IGNORECASE)
NOT_NAMES = MODIFIERS | frozenset(
    """
    Medicare Medicaid Advantage ABN PT PTA OT OTA SLP DN TDN POC MA MCR UHC BCBS Aetna Cigna Humana Anthem Blue
    Cross Tricare The A An And Or Is Has Had Was Did Does Do Can Could Should Would Will With For In On At To Of
    From After Before If But Not No Yes I We You He She They It This That These Those Who What When Where Why How
    Here There Today Tomorrow Yesterday Monday Tuesday Wednesday Thursday Friday Saturday Sunday Eval Evaluation
    Plan Care Cert Recert Progress Note Report Discharge Visit Visits Ortho Referral MD NP PA DOB MRN Option Opt
    Needs Wants Came Comes Got Gets Just Still Only Also Requested Asked Says Said Called Signed Checked Paid Owes
    Commercial Work Comp Workers L&I Self Pay Cash Insurance Primary Secondary Claim Claims Mod Modifier Code Codes
    CPT ICD Telehealth Initial Daily Dry Needling E-stim Estim Ultrasound Manual Ther Ex Gait Neuro Group New Old
    Our My His Her Their Another Every Each Both All Any Some Many More Most First Second Third Last Next
    """.split()
)

REMINDER = (
    "Please don't post patient details (names, dates of birth, IDs) in channels. I answered privately, and what I "
    "keep of questions has them removed."
)


def _redact_names(text: str) -> tuple[str, int]:
    out: list[str] = []
    pos = 0
    count = 0
    for cue in _NAME_CUE.finditer(text):
        if cue.start() < pos:
            continue
        i = cue.end()
        honorific = bool(_HONORIFIC.search(cue.group(0)))
        words = []
        while len(words) < 3:
            m = _NAME_WORD.match(text, i)
            if not m and honorific and not words:
                m = re.compile(r"[a-z][a-z'’-]+").match(text, i)
            if not m or m.group(0).strip(".") in NOT_NAMES:
                break
            words.append(m)
            j = m.end()
            gap = re.match(r"[ \t]+", text[j:])
            if not gap:
                i = j
                break
            i = j + len(gap.group(0))
        if not words:
            continue
        out.append(text[pos : words[0].start()])
        out.append("[NAME]")
        pos = words[-1].end()
        if text[pos : pos + 2] in ("'s", "’s"):
            pos += 2
        count += 1
    out.append(text[pos:])
    return "".join(out), count


MAX_CHARS = 4000


def redact(text: str) -> str:
    """The text (first 4,000 characters) with patient identifiers replaced by [NAME], [DATE], [MBI], [SSN],
    [PHONE], [EMAIL], [ID], [ADDRESS]."""
    redacted, _ = _redact((text or "")[:MAX_CHARS])
    return redacted


def contains_phi(text: str) -> bool:
    """True when the text holds something `redact` would remove."""
    _, found = _redact((text or "")[:MAX_CHARS])
    return found > 0


def _redact(text: str) -> tuple[str, int]:
    found = 0
    for tag, pattern in PATTERNS:
        text, n = pattern.subn(f"[{tag}]", text)
        found += n
    text, n = _redact_names(text)
    return text, found + n
