"""The default UK set of concern categories every new school starts with (KCSIE's headings).

The DSL may rename, nest, recolour or retire them; the code stays for trust statistics.
"""

from __future__ import annotations

from typing import NamedTuple


class DefaultCategory(NamedTuple):
    code: str
    name: str
    colour: str
    sensitivity: str
    guidance: str


DEFAULT_CATEGORIES: tuple[DefaultCategory, ...] = (
    DefaultCategory(
        "child-protection",
        "Child protection",
        "#d4351c",
        "standard",
        "Any concern that a child is suffering, or is likely to suffer, significant harm. "
        "Tell the DSL in person straight away as well as recording it.",
    ),
    DefaultCategory(
        "neglect",
        "Neglect",
        "#f47738",
        "standard",
        "Persistent failure to meet a child's basic physical or psychological needs: hunger, "
        "hygiene, clothing, medical care, supervision. Record what you saw, when, and how often.",
    ),
    DefaultCategory(
        "physical-abuse",
        "Physical abuse",
        "#d4351c",
        "standard",
        "Injuries, marks or bruises, and what the child said about them in their own words. "
        "Do not examine or photograph the child; use the body map to show where.",
    ),
    DefaultCategory(
        "emotional-abuse",
        "Emotional abuse",
        "#912b88",
        "standard",
        "Persistent emotional ill-treatment: being made to feel worthless, frightened or unloved.",
    ),
    DefaultCategory(
        "sexual-abuse",
        "Sexual abuse",
        "#942514",
        "restricted",
        "Record the child's words exactly. Do not ask leading questions. Tell the DSL at once.",
    ),
    DefaultCategory(
        "child-on-child",
        "Child-on-child abuse",
        "#b58840",
        "standard",
        "Bullying with a safeguarding element, physical or sexual harm, sexual harassment, "
        "upskirting, sharing nudes or semi-nudes, initiation or hazing.",
    ),
    DefaultCategory(
        "online-safety",
        "Online safety",
        "#5694ca",
        "standard",
        "Harmful content, contact or conduct online, including grooming and image sharing.",
    ),
    DefaultCategory(
        "bullying",
        "Bullying",
        "#85994b",
        "standard",
        "Repeated, intentional hurting, in person or online. Note who, where, and how often.",
    ),
    DefaultCategory(
        "domestic-abuse",
        "Domestic abuse / Operation Encompass",
        "#6f72af",
        "standard",
        "Includes Operation Encompass notifications from the police, which must be acted on before "
        "the start of the next school day.",
    ),
    DefaultCategory(
        "operation-encompass",
        "Operation Encompass notification",
        "#6f72af",
        "restricted",
        "A police notification that a child was present at, or involved in, a domestic-abuse "
        "incident. Recorded by the DSL or a deputy and acted on before the start of the next "
        "school day; seen by the DSL, deputies and headteacher only.",
    ),
    DefaultCategory(
        "prevent",
        "Prevent (radicalisation)",
        "#505a5f",
        "restricted",
        "Concerns that a child may be drawn into terrorism or extremist ideas.",
    ),
    DefaultCategory(
        "mental-health",
        "Mental health",
        "#28a197",
        "standard",
        "Signs that a child's mental health is a safeguarding concern.",
    ),
    DefaultCategory(
        "self-harm",
        "Self-harm",
        "#a90000",
        "standard",
        "Any self-harm or talk of suicide: tell the DSL in person immediately as well.",
    ),
    DefaultCategory(
        "attendance-cme",
        "Attendance / children missing education",
        "#0b0c0c",
        "standard",
        "Unexplained absence, patterns of absence, or a child missing from education.",
    ),
    DefaultCategory(
        "fgm",
        "Female genital mutilation",
        "#942514",
        "restricted",
        "Teachers must report known cases of FGM in under-18s to the police (mandatory duty).",
    ),
    DefaultCategory(
        "child-exploitation",
        "Child exploitation (CSE / CCE)",
        "#6f0000",
        "restricted",
        "Sexual or criminal exploitation, including county lines: unexplained gifts, money, "
        "older associates, going missing.",
    ),
    DefaultCategory(
        "low-level-adult",
        "Low-level concern about an adult",
        "#626a6e",
        "restricted",
        "Behaviour by an adult working in school that does not meet the harm threshold but is "
        "inconsistent with the staff code of conduct. Seen by the DSL and headteacher only.",
    ),
    DefaultCategory(
        "allegation-staff",
        "Allegation against staff",
        "#0b0c0c",
        "restricted",
        "An allegation that an adult working in school has harmed a child. It goes to a restricted "
        "allegation record, not the child's chronology; the LADO is told within one working day.",
    ),
)
