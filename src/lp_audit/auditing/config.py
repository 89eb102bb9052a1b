"""The optional ``lp-audit.yaml`` that tunes an audit: expectations, names, weights, policies.

Every key is optional; an audit runs with no config at all. Example::

    definition: hbyw-quarterly-return
    providers: {RTH: Redthread, SGT: St Giles Trust, OAS: Oasis}
    expected:                      # returns expected per period (default: every provider seen,
      2025-26 Q1: [RTH, SGT, OAS]  # for every period seen)
    filename_pattern: '(?P<provider>[A-Za-z]+)-(?P<period>\\d{4}-\\d{2}-q\\d)'
    weights: {ethnicity: 2, notes: 0}
    targets: {ethnicity: 95%, nhs_number: 80%}   # valid share per field, shown in reports
    thresholds: {limit: 99.8, min_rows: 10, ratio: 1.5, material: 0.05, fdr: 0.05}
    overdispersion: false
    suppression: {min_count: 5, min_denominator: 10}
    acknowledgements:
      - provider: OAS
        field: ethnicity
        reason: New case system from October; 99 is the migration default.
        until: 2026-03-31
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lp_audit.definitions.located import YamlProblem, load_located
from lp_audit.definitions.registry import is_path_spec
from lp_audit.errors import DefinitionProblem, LpAuditError
from lp_audit.files import not_a_regular_file
from lp_audit.periods import Period

CONFIG_NAME = "lp-audit.yaml"


class ConfigError(LpAuditError):
    """The config file has problems; ``problems`` lists each as ``file:line: key: message``."""

    def __init__(self, problems: list[DefinitionProblem]) -> None:
        self.problems = problems
        super().__init__("problems in the config:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Acknowledgement:
    """A known issue: matching findings are marked as explained until ``until``."""

    reason: str
    provider: str | None = None
    field: str | None = None
    rule: str | None = None
    code: str | None = None
    until: date | None = None

    def active(self, today: date) -> bool:
        return self.until is None or today <= self.until


@dataclass(frozen=True)
class Thresholds:
    """When a difference is worth raising."""

    limit: float = 99.8  # funnel control limit (95 or 99.8) a report's funnel tables mark
    min_rows: int = 10  # fewer rows than this: no comparison for the return
    ratio: float = 1.5  # a drift metric this many times the rest's value (or 1/ratio) is material
    material: float = 0.05  # a difference in share this large (5 points) is material
    fdr: float = 0.05  # the false-discovery rate over every test of an audit


@dataclass(frozen=True)
class Suppression:
    """Small-number policy for shared reports."""

    min_count: int = 5  # counts from 1 to min_count - 1 are shown as "<min_count"
    min_denominator: int = 10  # percentages with a smaller denominator are hidden


@dataclass(frozen=True)
class AuditConfig:
    """Settings for an audit; the defaults are what an audit with no config uses."""

    definition: str | None = None
    providers: dict[str, str] = field(default_factory=dict)
    expected: dict[Period, tuple[str, ...]] = field(default_factory=dict)
    filename_pattern: str | None = None
    weights: dict[str, float] = field(default_factory=dict)
    #: per field, the share of applicable rows with a valid value a provider should reach
    #: (0-1), as the NHS Data Quality Maturity Index sets one per data item
    targets: dict[str, float] = field(default_factory=dict)
    thresholds: Thresholds = Thresholds()
    overdispersion: bool = False
    suppression: Suppression = Suppression()
    acknowledgements: tuple[Acknowledgement, ...] = ()
    source: str | None = None

    def provider_name(self, code: str) -> str:
        return self.providers.get(code, code)


_KEYS = {
    "definition",
    "providers",
    "expected",
    "filename_pattern",
    "weights",
    "targets",
    "thresholds",
    "overdispersion",
    "suppression",
    "acknowledgements",
}


def load_config(path: str | Path) -> AuditConfig:
    """Load and check ``lp-audit.yaml``.

    Raises:
        ConfigError: listing every problem.
    """
    path = Path(path)
    source = str(path)
    special = not_a_regular_file(path)
    if special is not None:
        raise ConfigError([DefinitionProblem(source, None, "", special)])
    try:
        located = load_located(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError([DefinitionProblem(source, None, "", "no such config file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([DefinitionProblem(source, None, "", f"cannot be read: {exc}")]) from None
    except YamlProblem as exc:
        raise ConfigError([DefinitionProblem(source, exc.line, "", exc.message)]) from None
    data = located.data or {}
    problems: list[DefinitionProblem] = []

    def problem(key: tuple[str | int, ...], message: str) -> None:
        problems.append(
            DefinitionProblem(source, located.line(key), ".".join(map(str, key)), message)
        )

    if not isinstance(data, dict):
        raise ConfigError(
            [DefinitionProblem(source, 1, "", "the config must be a mapping of settings")]
        )
    for key in data:
        if key not in _KEYS:
            problem((key,), f"unknown setting {key!r} (known: {', '.join(sorted(_KEYS))})")

    def mapping(key: str, example: str) -> dict[Any, Any]:
        value = data.get(key) or {}
        if not isinstance(value, dict):
            problem((key,), f"expected a mapping, such as {example}")
            return {}
        return value

    expected: dict[Period, tuple[str, ...]] = {}
    for period_text, codes in mapping("expected", "'2025-26 Q1: [RTH, SGT]'").items():
        if codes is not None and not isinstance(codes, list):
            problem(("expected", period_text), "expected a list of provider codes, such as [RTH]")
            continue
        try:
            expected[Period.parse(str(period_text))] = tuple(str(c) for c in codes or ())
        except (ValueError, TypeError) as exc:
            problem(("expected", period_text), str(exc))
    pattern = data.get("filename_pattern")
    if pattern is not None:
        import warnings

        try:
            with warnings.catch_warnings():  # re's hints about odd patterns are not for users
                warnings.simplefilter("ignore")
                compiled = re.compile(str(pattern))
        except re.error as exc:
            problem(("filename_pattern",), f"invalid regular expression: {exc}")
        else:
            if not {"provider", "period"} & set(compiled.groupindex):
                problem(("filename_pattern",), "name a group (?P<provider>…) or (?P<period>…)")
    weights: dict[str, float] = {}
    for name, weight in mapping("weights", "'gender: 2'").items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            problem(("weights", name), "a weight is a number, 0 or more")
        else:
            weights[str(name)] = float(weight)
    targets: dict[str, float] = {}
    for name, target in mapping("targets", "'ethnicity: 95%'").items():
        text = str(target).strip()
        match = (
            re.fullmatch(r"(\d+(?:\.\d+)?)\s*%?", text) if not isinstance(target, bool) else None
        )
        if match is None or float(match[1]) > 100:
            problem(("targets", name), f"{text!r} is not a target: write a share such as 95%")
        else:
            targets[str(name)] = float(match[1]) / 100
    thresholds = _section(data, "thresholds", Thresholds, problem)
    suppression = _section(data, "suppression", Suppression, problem)
    if isinstance(thresholds, Thresholds) and thresholds.limit not in (95, 99.8):
        problem(("thresholds", "limit"), "limit is 95 or 99.8")
    acknowledgements = []
    listed = data.get("acknowledgements") or []
    if not isinstance(listed, list):
        problem(("acknowledgements",), "expected a list of acknowledgements, each with a reason")
        listed = []
    for i, item in enumerate(listed):
        if not isinstance(item, dict) or "reason" not in item:
            problem(("acknowledgements", i), "each acknowledgement needs at least a reason")
            continue
        unknown = set(item) - {"reason", "provider", "field", "rule", "code", "until"}
        if unknown:
            problem(("acknowledgements", i), f"unknown keys: {', '.join(sorted(unknown))}")
        until = item.get("until")
        try:
            until_date = date.fromisoformat(str(until)) if until is not None else None
        except ValueError:
            problem(("acknowledgements", i, "until"), f"{until!r} is not a date like 2026-03-31")
            until_date = None
        acknowledgements.append(
            Acknowledgement(
                str(item["reason"]),
                _opt(item.get("provider")),
                _opt(item.get("field")),
                _opt(item.get("rule")),
                _opt(item.get("code")),
                until_date,
            )
        )
    providers = mapping("providers", "'RTH: Redthread'")
    if problems:
        raise ConfigError(problems)
    definition = _opt(data.get("definition"))
    if definition is not None and is_path_spec(definition) and not Path(definition).is_absolute():
        # a definition file of one's own, found beside the config whatever the working folder
        definition = str(path.parent / definition)
    return AuditConfig(
        definition=definition,
        providers={str(k): str(v) for k, v in providers.items()},
        expected=expected,
        filename_pattern=_opt(pattern),
        weights=weights,
        targets=targets,
        thresholds=thresholds if isinstance(thresholds, Thresholds) else Thresholds(),
        overdispersion=bool(data.get("overdispersion", False)),
        suppression=suppression if isinstance(suppression, Suppression) else Suppression(),
        acknowledgements=tuple(acknowledgements),
        source=source,
    )


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _section(data: dict[str, Any], key: str, cls: type, problem: Any) -> Any:
    values = data.get(key) or {}
    if not isinstance(values, dict):
        problem((key,), "expected a mapping")
        return cls()
    known = set(getattr(cls, "__dataclass_fields__", {}))
    clean = {}
    for name, value in values.items():
        if name not in known:
            problem((key, name), f"unknown setting (known: {', '.join(sorted(known))})")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problem((key, name), "expected a number")
        else:
            clean[name] = value
    return cls(**clean)


def find_config(start: Path) -> Path | None:
    """``lp-audit.yaml`` in the audited folder, if there is one."""
    folder = start if start.is_dir() else start.parent
    candidate = folder / CONFIG_NAME
    return candidate if candidate.is_file() else None


def config_data(config: AuditConfig) -> dict[str, Any]:
    """The settings as JSON data (see :func:`config_from`)."""
    return {
        "definition": config.definition,
        "providers": dict(config.providers),
        "expected": {str(p): list(v) for p, v in config.expected.items()},
        "filename_pattern": config.filename_pattern,
        "weights": dict(config.weights),
        "targets": dict(config.targets),
        "thresholds": asdict(config.thresholds),
        "overdispersion": config.overdispersion,
        "suppression": asdict(config.suppression),
        "acknowledgements": [
            {**asdict(a), "until": a.until.isoformat() if a.until else None}
            for a in config.acknowledgements
        ],
        "source": config.source,
    }


def config_from(data: dict[str, Any]) -> AuditConfig:
    """The settings :func:`config_data` wrote."""
    return AuditConfig(
        definition=data["definition"],
        providers=data["providers"],
        expected={Period.parse(p): tuple(v) for p, v in data["expected"].items()},
        filename_pattern=data["filename_pattern"],
        weights=data["weights"],
        targets=data["targets"],
        thresholds=Thresholds(**data["thresholds"]),
        overdispersion=data["overdispersion"],
        suppression=Suppression(**data["suppression"]),
        acknowledgements=tuple(
            Acknowledgement(
                **{**a, "until": date.fromisoformat(a["until"]) if a["until"] else None}
            )
            for a in data["acknowledgements"]
        ),
        source=data["source"],
    )
