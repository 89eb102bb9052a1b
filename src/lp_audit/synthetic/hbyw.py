"""Seeded synthetic HBYW returns: valid rows plus injected defects of known kinds, and the
capture differences of the bundled examples.

Every value is invented: person references are random, NHS numbers are random numbers with a
valid check digit, and no real names or postcodes are used. Generation is vectorised, so a
million rows take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lp_audit.periods import Period

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

ENGAGED = ("BRIEF_IN_HOSPITAL", "SHORT_TERM", "INTENSIVE")
_DISTRICTS = ("SE5", "SE15", "E1", "E15", "N1", "N17", "SW9", "SW17", "CR0", "W2", "NW10", "ZZ99")
_MECHANISMS = (
    "KNIFE_SHARP_OBJECT",
    "BLUNT_OBJECT",
    "BODY_PART",
    "BOTTLE_GLASS",
    "FIREARM",
    "OTHER",
)
_NEEDS = (
    "MENTAL_HEALTH",
    "SUBSTANCE_USE",
    "CRIMINAL_EXPLOITATION",
    "HOUSING",
    "EDUCATION",
    "FAMILY",
)
_ONWARD = ("CAMHS", "EARLY_HELP", "YOUTH_JUSTICE", "COMMUNITY_YOUTH", "GP", "NONE")

#: The defect kinds :func:`make_return` can inject: (field, finding code, severity).
DEFECTS: tuple[tuple[str, str, str], ...] = (
    ("ethnicity", "invalid-code", "error"),
    ("age_at_referral", "out-of-range", "error"),
    ("referral_date", "invalid-date", "error"),
    ("attendance_date", "date-format", "warning"),
    ("gender", "non-standard-code", "warning"),
    ("contacts_count", "invalid-type", "error"),
    ("site_code", "missing-required", "error"),
    ("nhs_number", "invalid-check-digit", "error"),
    ("referral_id", "duplicate-id", "error"),
    ("postcode_district", "pattern-mismatch", "error"),
)


@dataclass(frozen=True)
class Defect:
    """A defect injected at a data row (0-based; file line = row + 2)."""

    row: int
    field: str
    code: str
    severity: str


def _choice(rng: np.random.Generator, options: tuple[str, ...] | list[str], n: int) -> np.ndarray:
    import numpy as np

    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def modulus_11(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random 10-digit numbers with a valid Modulus 11 check digit, not starting with 9."""
    import numpy as np

    digits = rng.integers(0, 10, size=(n, 9))
    digits[:, 0] = rng.integers(4, 9, n)
    check = 11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
    check = np.where(check == 11, 0, check)
    full = np.concatenate([digits, check[:, None]], axis=1)
    numbers = (full * (10 ** np.arange(9, -1, -1))).sum(axis=1).astype(str).astype(object)
    return np.where(check == 10, "", numbers)  # no valid number has check digit 10: leave blank


def make_return(
    rows: int,
    *,
    provider: str = "RTH",
    period: str = "2025-26 Q2",
    seed: int = 0,
    defects: int = 0,
    unknown_share: float = 0.05,
    first_id: int = 0,
) -> tuple[pd.DataFrame, list[Defect]]:
    """A synthetic HBYW 1.0 return as text columns, and the defects injected into it.

    Args:
        rows: number of data rows.
        provider: provider code on every row.
        period: the return period, e.g. ``"2025-26 Q2"``.
        seed: random seed; the same arguments give the same return.
        defects: how many defects to inject, cycling through :data:`DEFECTS`, each in its own row.
        unknown_share: share of rows whose ethnicity is recorded as not known (``99``).
        first_id: the number of the first referral ID, so returns for later quarters do not
            reuse the IDs of earlier ones.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    p = Period.parse(period)
    n = rows
    start = np.datetime64(p.start.isoformat())
    span = (np.datetime64(p.end.isoformat()) - start).astype(int) + 1
    referral = start + rng.integers(0, span, n).astype("timedelta64[D]")
    attendance = referral - rng.integers(0, 3, n).astype("timedelta64[D]")
    engagement = _choice(rng, ["NOT_CONTACTED", "DECLINED", *ENGAGED], n)
    contacted = engagement != "NOT_CONTACTED"
    engaged = np.isin(engagement, ENGAGED)
    first_contact = referral + rng.integers(0, 10, n).astype("timedelta64[D]")
    period_end = np.datetime64(p.end.isoformat())
    closed = (rng.random(n) < 0.5) & (~contacted | (first_contact <= period_end))
    base_date = np.where(contacted, first_contact, referral)
    closure = np.minimum(base_date + rng.integers(0, 40, n).astype("timedelta64[D]"), period_end)
    intent = _choice(
        rng,
        ["ASSAULT", "ASSAULT", "ASSAULT", "SELF_INFLICTED", "ACCIDENTAL", "NO_PHYSICAL_INJURY"],
        n,
    )
    mechanism = np.where(
        intent == "NO_PHYSICAL_INJURY", "NOT_APPLICABLE", _choice(rng, _MECHANISMS, n)
    )
    ethnicity = _choice(rng, [*"ABCDEFGHJKLMNPRS", "Z"], n)
    ethnicity = np.where(rng.random(n) < unknown_share, "99", ethnicity)
    needs = np.where(
        rng.random(n) < 0.1,
        "NONE_IDENTIFIED",
        pd.Series(_choice(rng, _NEEDS, n)) + np.where(rng.random(n) < 0.4, "|EDUCATION", ""),
    )
    needs = (
        pd.Series(needs, dtype=object)
        .str.replace("EDUCATION|EDUCATION", "EDUCATION", regex=False)
        .to_numpy()
    )
    nhs = np.where(rng.random(n) < 0.7, modulus_11(rng, n), "")

    def dates(values: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        text = np.datetime_as_string(values, unit="D").astype(object)
        return text if keep is None else np.where(keep, text, "")

    index = np.arange(n)
    data = {
        "return_period": np.full(n, str(p), dtype=object),
        "provider_code": np.full(n, provider, dtype=object),
        "site_code": _choice(rng, ["KCH", "STG", "SMH", "RLH", "STH"], n),
        "referral_id": (
            pd.Series(index + first_id).astype(str).str.zfill(6).radd(f"{provider}-")
        ).to_numpy(dtype=object),
        "person_id": (
            pd.Series(rng.permutation(n) + seed * 10_000_000).astype(str).radd("P-")
        ).to_numpy(dtype=object),
        "nhs_number": nhs,
        "age_at_referral": rng.integers(10, 26, n).astype(str).astype(object),
        "gender": _choice(rng, ["1", "1", "2", "9", "X"], n),
        "ethnicity": ethnicity,
        "home_la": _choice(rng, [f"E090000{i:02d}" for i in range(1, 34)] + ["OUT", "UNK"], n),
        "postcode_district": np.where(rng.random(n) < 0.8, _choice(rng, _DISTRICTS, n), ""),
        "referral_source": _choice(
            rng, ["ED_CLINICIAN", "TRAUMA_TEAM", "WARD_STAFF", "SAFEGUARDING_TEAM", "NOT_KNOWN"], n
        ),
        "attendance_date": dates(attendance),
        "referral_date": dates(referral),
        "injury_intent": intent,
        "injury_mechanism": mechanism,
        "consent_status": np.where(
            contacted, "CONSENTED", _choice(rng, ["NOT_ASKED", "UNABLE_TO_ASK"], n)
        ),
        "engagement_status": engagement,
        "first_contact_date": dates(first_contact, contacted),
        "first_contact_method": np.where(
            contacted, _choice(rng, ["IN_PERSON_HOSPITAL", "PHONE", "IN_PERSON_COMMUNITY"], n), ""
        ),
        "contacts_count": np.where(contacted, rng.integers(1, 20, n).astype(str), "0"),
        "initial_risk_level": np.where(
            engaged, _choice(rng, ["LOW", "MEDIUM", "HIGH", "NOT_ASSESSED"], n), ""
        ),
        "needs_identified": np.where(engaged, needs, ""),
        "onward_referrals": np.where(engaged & (rng.random(n) < 0.6), _choice(rng, _ONWARD, n), ""),
        "case_status": np.where(closed, "CLOSED", "OPEN"),
        "closure_date": dates(closure, closed),
        "closure_reason": np.where(
            closed, _choice(rng, ["PLAN_COMPLETED", "DISENGAGED", "UNABLE_TO_CONTACT"], n), ""
        ),
        "risk_change_at_close": np.where(
            closed & engaged, _choice(rng, ["REDUCED", "NO_CHANGE", "NOT_ASSESSED"], n), ""
        ),
        "notes": np.where(rng.random(n) < 0.05, "Synthetic note: follow-up agreed", ""),
    }
    frame = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in data.items()})
    injected = _inject(frame, rng, defects) if defects else []
    return frame, injected


def _inject(frame: pd.DataFrame, rng: np.random.Generator, count: int) -> list[Defect]:
    n = len(frame)
    if count > n - 1:
        raise ValueError(f"cannot inject {count} defects into {n} rows (one row each, row 0 kept)")
    rows = sorted(int(r) for r in rng.choice(range(1, n), size=count, replace=False))
    injected = []
    for i, row in enumerate(rows):
        field, code, severity = DEFECTS[i % len(DEFECTS)]
        col = list(frame.columns).index(field)
        current = str(frame.iat[row, col])
        if code == "invalid-code":
            new = "Q"
        elif code == "out-of-range":
            new = "3"
        elif code == "invalid-date":
            new = current[:5] + "02-30"
        elif code == "date-format":
            y, m, d = current.split("-")
            new = f"{d}/{m}/{y}"
        elif code == "non-standard-code":
            new = "01"
        elif code == "invalid-type":
            new = "six"
        elif code == "missing-required":
            new = ""
        elif code == "invalid-check-digit":
            number = current if len(current) == 10 else "4010232137"
            new = number[:9] + str((int(number[9]) + 1) % 10)
        elif code == "duplicate-id":
            new = str(frame.iat[0, col])
        else:
            new = "se5 9rs"
        frame.iat[row, col] = new
        injected.append(Defect(row, field, code, severity))
    return injected


EXAMPLE_PERIODS = ("2025-26 Q1", "2025-26 Q2", "2025-26 Q3")
EXAMPLE_PROVIDERS = ("RTH", "SGT", "OAS")


def example_returns(rows: int = 80) -> dict[tuple[str, str], pd.DataFrame]:
    """Three providers' returns for three quarters, with realistic capture differences.

    - OAS records ethnicity as 99 (not known, not asked) for about 40% of young people, never
      uses BRIEF_IN_HOSPITAL, and sent no return for 2025-26 Q2;
    - SGT exports dates as DD/MM/YYYY from Excel, in every row in Q1, half in Q2 and none in
      Q3 (it improves), and drops three open cases between Q2 and Q3;
    - RTH counts text messages as contacts, so its contacts per engaged young person are about
      three times everyone else's.

    Cases open at the end of a quarter are carried into the next return (half of them close).
    """
    import numpy as np
    import pandas as pd

    returns: dict[tuple[str, str], pd.DataFrame] = {}
    for p_index, provider in enumerate(EXAMPLE_PROVIDERS):
        carried: pd.DataFrame | None = None
        for q_index, period in enumerate(EXAMPLE_PERIODS):
            seed = 100 * (p_index + 1) + q_index
            rng = np.random.default_rng(seed)
            frame, _ = make_return(
                rows,
                provider=provider,
                period=period,
                seed=seed,
                defects=(12, 6, 2)[q_index] if provider == "SGT" else 3,
                unknown_share=0.06,
                first_id=10_000 * q_index,
            )
            frame = _quirks(frame, provider, q_index, rng)
            if carried is not None:
                frame = pd.concat([_carry_over(carried, period, rng), frame], ignore_index=True)
            if provider == "OAS" and period == "2025-26 Q2":
                carried = None  # the return was never sent
                continue
            returns[(provider, period)] = frame
            carried = frame[frame["case_status"] == "OPEN"]
            if provider == "SGT" and q_index == 1:
                carried = carried.iloc[3:]  # three open cases vanish from the next return
    return returns


def _carry_over(open_cases: pd.DataFrame, period: str, rng: np.random.Generator) -> pd.DataFrame:
    """Open cases from the previous quarter, half of them closed during ``period``."""
    import numpy as np
    import pandas as pd

    p = Period.parse(period)
    carried = open_cases.copy()
    carried["return_period"] = str(p)
    contacted = carried["first_contact_date"] != ""
    close = (rng.random(len(carried)) < 0.5) & contacted.to_numpy()
    start = np.datetime64(p.start.isoformat())
    closure = np.datetime_as_string(
        start + rng.integers(0, 60, len(carried)).astype("timedelta64[D]"), unit="D"
    )
    carried.loc[close, "case_status"] = "CLOSED"
    carried.loc[close, "closure_date"] = pd.Series(closure, index=carried.index)[close]
    carried.loc[close, "closure_reason"] = "PLAN_COMPLETED"
    engaged = carried["engagement_status"].isin(ENGAGED).to_numpy()
    carried.loc[close & engaged, "risk_change_at_close"] = "REDUCED"
    return carried


def _quirks(
    frame: pd.DataFrame, provider: str, quarter: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Apply one provider's way of capturing data."""
    import numpy as np

    frame = frame.copy()
    n = len(frame)
    if provider == "OAS":
        frame.loc[rng.random(n) < 0.4, "ethnicity"] = "99"
        brief = frame["engagement_status"] == "BRIEF_IN_HOSPITAL"
        frame.loc[brief, "engagement_status"] = "SHORT_TERM"
    elif provider == "SGT":
        share = (1.0, 0.5, 0.0)[quarter]
        pick = rng.random(n) < share
        for column in ("attendance_date", "referral_date", "first_contact_date", "closure_date"):
            iso = frame[column]
            dmy = iso.str.slice(8, 10) + "/" + iso.str.slice(5, 7) + "/" + iso.str.slice(0, 4)
            frame[column] = np.where(pick & iso.str.match(r"^\d{4}-\d{2}-\d{2}$"), dmy, iso)
    elif provider == "RTH":
        engaged = frame["engagement_status"].isin(ENGAGED)
        contacts = frame["contacts_count"].where(
            ~engaged, (frame["contacts_count"].where(engaged, "0").astype(int) * 3).astype(str)
        )
        frame["contacts_count"] = contacts
    return frame


def write_examples(folder: Path) -> list[Path]:
    """Write the bundled example returns (see :func:`example_returns`) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for (provider, period), frame in example_returns().items():
        slug = period.replace(" ", "-").lower()
        path = folder / f"{provider.lower()}-{slug}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    return written


NETWORK_PERIODS = ("2025-26 Q1", "2025-26 Q2", "2025-26 Q3", "2025-26 Q4")


def network_returns(
    providers: int,
    *,
    seed: int = 0,
    periods: tuple[str, ...] = NETWORK_PERIODS,
    rows: tuple[int, int] = (50, 1000),
    unknown_share: float = 0.02,
    planted: dict[int, float] | None = None,
    planted_rows: int | None = None,
) -> dict[tuple[str, str], pd.DataFrame]:
    """Returns of a network in which every provider captures data the same way, for
    calibrating highlights: ``providers`` providers (codes P01, P02, …), each with a size drawn
    once from ``rows``, for every period, open cases carried into the next return.

    ``planted`` gives providers (by index) their own share of ethnicity recorded as not known,
    against ``unknown_share`` for the rest; ``planted_rows`` fixes those providers' size.
    Use with :func:`network_definition`, which knows the providers' codes.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    planted = planted or {}
    sizes = rng.integers(rows[0], rows[1] + 1, providers)
    returns: dict[tuple[str, str], pd.DataFrame] = {}
    for index in range(providers):
        code = f"P{index + 1:02d}"
        size = planted_rows if index in planted and planted_rows else int(sizes[index])
        carried: pd.DataFrame | None = None
        for q_index, period in enumerate(periods):
            child = seed * 100_003 + index * 101 + q_index
            frame, _ = make_return(
                size,
                provider=code,
                period=period,
                seed=child,
                defects=size // 100,
                unknown_share=0.0,
                first_id=10_000 * q_index,
            )
            # ethnicity not known (99, or Z: chose not to say) in exactly the share asked for
            child_rng = np.random.default_rng(child + 7)
            known = frame["ethnicity"].isin(["99", "Z"])
            frame.loc[known, "ethnicity"] = _choice(
                child_rng, list("ABCDEFGHJKLMNPRS"), int(known.sum())
            )
            share = planted.get(index, unknown_share)
            frame.loc[child_rng.random(len(frame)) < share, "ethnicity"] = "99"
            if carried is not None and len(carried):
                frame = pd.concat(
                    [_carry_over(carried, period, np.random.default_rng(child)), frame],
                    ignore_index=True,
                )
            returns[(code, period)] = frame
            carried = frame[frame["case_status"] == "OPEN"]
    return returns


def network_definition(providers: int) -> str:
    """The HBYW 1.0 definition with the provider codes of :func:`network_returns`."""
    import re

    from lp_audit.definitions import bundled_definitions_dir

    text = (bundled_definitions_dir() / "hbyw-quarterly-return" / "1.0.yaml").read_text(
        encoding="utf-8"
    )
    codes = "".join(f"      P{i + 1:02d}: Provider {i + 1}\n" for i in range(providers))
    return re.sub(
        r"(  - name: provider_code\n(?:    .*\n)*?    codes:\n)(?:      .*\n)+",
        lambda m: m.group(1) + codes,
        text,
        count=1,
    )
