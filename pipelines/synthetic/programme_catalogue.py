"""The invented names, types and proportions the sample generator draws from.

Nothing here is real: cluster names read "Eksempelklynge for ... (SAMPLE)", participant names
end in "(SAMPLE)". The proportions make the sample look like a programme year's reports: mostly
SMEs, a few large firms and knowledge institutions, funding rates within the norms except for a
few planted breaches (:mod:`pipelines.synthetic.programme_plan`).

Each generation draws with its own :class:`Design`. The 2021-2024 design differs from the
current one in the way the programmes are described to have changed, with illustrative values
(not figures from the programme's reports): more SMEs (seven in ten participations, six in ten
now) with smaller amounts (mean cost 350,000 kr., 500,000 now), fewer knowledge institutions and
R&D projects, fewer large firms and investors, and SME funding rates drawn from 40-85 % (no cap
was in force), so less of the projects' budgets is private co-financing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# id, invented name, business area, region
CLUSTERS = [
    ("K01", "Eksempelklynge for Grøn Energi (SAMPLE)", "Energi og grøn omstilling", "Syddanmark"),
    (
        "K02",
        "Eksempelklynge for Life Science (SAMPLE)",
        "Life science og velfærdsteknologi",
        "Hovedstaden",
    ),
    (
        "K03",
        "Eksempelklynge for Robotter og Automation (SAMPLE)",
        "Robotteknologi og automation",
        "Syddanmark",
    ),
    ("K04", "Eksempelklynge for Fødevarer (SAMPLE)", "Fødevarer og bioressourcer", "Midtjylland"),
    (
        "K05",
        "Eksempelklynge for Digitale Teknologier (SAMPLE)",
        "Digitale teknologier",
        "Hovedstaden",
    ),
    ("K06", "Eksempelklynge for Det Blå Danmark (SAMPLE)", "Maritime erhverv", "Nordjylland"),
    ("K07", "Eksempelklynge for Byggeri (SAMPLE)", "Byggeri og arkitektur", "Sjælland"),
    ("K08", "Eksempelklynge for Vand og Miljø (SAMPLE)", "Miljø- og vandteknologi", "Midtjylland"),
    (
        "K09",
        "Eksempelklynge for Avanceret Produktion (SAMPLE)",
        "Produktion og materialer",
        "Midtjylland",
    ),
    ("K10", "Eksempelklynge for Turisme (SAMPLE)", "Turisme og oplevelsesøkonomi", "Nordjylland"),
    (
        "K11",
        "Eksempelklynge for Transport og Logistik (SAMPLE)",
        "Transport og logistik",
        "Sjælland",
    ),
    (
        "K12",
        "Eksempelklynge for Kreative Erhverv (SAMPLE)",
        "Kreative erhverv og design",
        "Hovedstaden",
    ),
    (
        "K13",
        "Eksempelklynge for Sundhed og Velfærd (SAMPLE)",
        "Sundheds- og velfærdsinnovation",
        "Syddanmark",
    ),
    ("K14", "Eksempelklynge for Møbler og Træ (SAMPLE)", "Møbel- og træindustri", "Nordjylland"),
]

PROJECT_TYPES = ("feasibility", "innovation", "rd", "network", "internationalisation")
PROJECT_TYPE_P = (0.25, 0.35, 0.15, 0.15, 0.10)
# Which of a generation's grant types (by position in its declaration) funds a kind of project:
# R&D the first, innovation and feasibility the second, the rest the third (illustrative).
GRANT_TYPE_OF_PROJECT_TYPE = {
    "rd": 0,
    "innovation": 1,
    "feasibility": 1,
    "network": 2,
    "internationalisation": 2,
}
PROJECT_MONTHS = {
    "feasibility": (3, 9),
    "innovation": (12, 30),
    "rd": (18, 36),
    "network": (6, 24),
    "internationalisation": (6, 18),
}
TITLE_WHAT = (
    "Digital tvilling",
    "Datadrevet kvalitetskontrol",
    "Cirkulære materialer",
    "Energioptimering",
    "Sensorbaseret overvågning",
    "Automatiseret montage",
    "Grøn omstilling",
    "Klimavenlig emballage",
    "Kunstig intelligens",
    "Præcisionsdosering",
    "Fleksibelt elforbrug",
    "Genanvendelse af spildevarme",
    "Sporbarhed",
    "Prototypeudvikling",
    "Markedsmodning",
    "Videndeling",
)
TITLE_FOR = (
    "i små virksomheder",
    "til varmepumper",
    "i fødevareproduktionen",
    "på havne og skibe",
    "i byggeriet",
    "til sundhedssektoren",
    "i logistikkæder",
    "for oplevelsesøkonomien",
    "i vandforsyningen",
    "i metalindustrien",
    "på tværs af klynger",
    "med europæiske partnere",
)

# participant types (the current design's share of rows, mean cost and funding-rate range)
TYPES = (
    "smv",
    "large_enterprise",
    "university",
    "gts",
    "erhvervsakademi",
    "professionshoejskole",
    "other_public",
    "investor",
    "foreign",
)
TYPE_P = np.array([0.62, 0.08, 0.08, 0.05, 0.03, 0.03, 0.03, 0.03, 0.05])
FIXED_POOLS = {"university": 8, "gts": 7, "erhvervsakademi": 9, "professionshoejskole": 6}
MEAN_COST = {
    "smv": 500_000,
    "large_enterprise": 900_000,
    "university": 700_000,
    "gts": 600_000,
    "erhvervsakademi": 350_000,
    "professionshoejskole": 350_000,
    "other_public": 300_000,
    "investor": 250_000,
    "foreign": 400_000,
}
# SMEs' rates are capped where the generation has an SME funding cap (plan.funding_rates)
RATE_RANGE = {
    "smv": (0.40, 1.0),
    "large_enterprise": (0.20, 0.50),
    "university": (0.85, 1.0),
    "gts": (0.80, 1.0),
    "erhvervsakademi": (0.85, 1.0),
    "professionshoejskole": (0.85, 1.0),
    "other_public": (0.50, 1.0),
    "investor": (0.0, 0.0),
    "foreign": (0.0, 0.30),
}


@dataclass(frozen=True)
class Design:
    """How one generation's sample is drawn: its default size and proportions."""

    participants: int  # the bundled sample's participation rows
    type_p: np.ndarray  # share of rows by TYPES
    project_type_p: tuple[float, ...]  # share of projects by PROJECT_TYPES
    mean_cost: Mapping[str, int]
    rate_range: Mapping[str, tuple[float, float]]


CURRENT_DESIGN = Design(3_000, TYPE_P, PROJECT_TYPE_P, MEAN_COST, RATE_RANGE)
DESIGNS = {
    "2021-2024": Design(
        4_000,
        np.array([0.70, 0.06, 0.06, 0.04, 0.02, 0.02, 0.03, 0.02, 0.05]),
        (0.30, 0.35, 0.10, 0.15, 0.10),
        {**MEAN_COST, "smv": 350_000},
        {**RATE_RANGE, "smv": (0.40, 0.85)},
    ),
}
SHARED_SMV_SHARE = 0.07  # of a generation's SMEs, also in the next generation's sample


def design_for(generation_id: str) -> Design:
    """The generation's design; a generation without one of its own draws like the current."""
    return DESIGNS.get(generation_id, CURRENT_DESIGN)


NEW_TO_RD_P = {"smv": 0.25, "large_enterprise": 0.03}
PRIVATE_TYPES = ("smv", "large_enterprise", "investor", "foreign")

NAME_WORDS = (
    "Nord",
    "Syd",
    "Vest",
    "Øst",
    "Fjord",
    "Skov",
    "Hav",
    "Eng",
    "Bølge",
    "Klit",
    "Strand",
    "Mølle",
    "Bro",
    "Dal",
    "Sø",
    "Lyng",
)
NAME_TRADES = (
    "Teknik",
    "Robotik",
    "Analyse",
    "Energi",
    "Design",
    "Fødevarer",
    "Data",
    "Maskiner",
    "Materialer",
    "Rådgivning",
    "Software",
    "Logistik",
)
NAME_FORMS = {"smv": "ApS", "large_enterprise": "A/S", "investor": "Invest ApS"}
INSTITUTION_NAMES = {
    "university": "Eksempeluniversitet",
    "gts": "Eksempel-GTS-institut",
    "erhvervsakademi": "Eksempel Erhvervsakademi",
    "professionshoejskole": "Eksempel Professionshøjskole",
    "other_public": "Eksempelkommune",
}
# the note on a year's finances: the first year is closed, the next preliminary, later budgets
FINANCE_NOTES = ("Årsregnskab godkendt", "Foreløbige tal", "Budget – prognose, ikke endelige tal")


def participant_name(type_name: str, idx: int) -> str:
    if type_name in INSTITUTION_NAMES:
        return f"{INSTITUTION_NAMES[type_name]} {idx + 1} (SAMPLE)"
    word = NAME_WORDS[idx % len(NAME_WORDS)]
    trade = NAME_TRADES[(idx // len(NAME_WORDS)) % len(NAME_TRADES)]
    if type_name == "foreign":
        return f"Example {trade} GmbH {idx + 1} (SAMPLE)"
    return f"{word}{trade.lower()} {NAME_FORMS[type_name]} nr. {idx + 1} (SAMPLE)"


def finance_note(year_index: int) -> str:
    return FINANCE_NOTES[min(year_index, len(FINANCE_NOTES) - 1)]


def grant_type_of(project_type: str, grant_types: Sequence[str]) -> str:
    """The grant type a project of ``project_type`` is funded from, among ``grant_types``."""
    return grant_types[GRANT_TYPE_OF_PROJECT_TYPE[project_type] % len(grant_types)]
