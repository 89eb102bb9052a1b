"""Versions expressed as changes to the version they extend."""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any

from lp_audit.definitions.links import (
    Continuity,
)
from lp_audit.definitions.located import Path_
from lp_audit.definitions.model import (
    Definition,
    Field,
)
from lp_audit.definitions.parser import Parser

CHANGE_KEYS = (
    "add_fields",
    "remove_fields",
    "rename_fields",
    "change_fields",
    "add_rules",
    "remove_rules",
)
CHANGE_FIELD_KEYS = (*Parser.FIELD_KEYS, "add_codes", "remove_codes", "add_unknown_codes")


def apply_changes(
    parser: Parser, top: dict[str, Any], head: Definition, base: Definition
) -> Definition:
    changes = parser.mapping(top.get("changes", {}), ("changes",), CHANGE_KEYS) or {}
    fields = list(base.fields)
    names = [f.name for f in fields]

    def index_of(name: str, path: Path_) -> int | None:
        if name in names:
            return names.index(name)
        hint = difflib.get_close_matches(name, names, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        parser.problem(path, f"{base.ref} has no field {name!r}{suggestion}")
        return None

    for name in parser.text_list(changes, "remove_fields", ("changes",)):
        i = index_of(name, ("changes", "remove_fields"))
        if i is not None:
            del fields[i], names[i]

    renames: dict[str, str] = {}
    rename_spec = changes.get("rename_fields") or {}
    if not isinstance(rename_spec, dict):
        parser.problem(("changes", "rename_fields"), "expected a mapping of old_name: new_name")
        rename_spec = {}
    for old, new in rename_spec.items():
        i = index_of(old, ("changes", "rename_fields", old))
        if i is None or not isinstance(new, str):
            continue
        renames[old] = new
        fields[i] = replace(fields[i], name=new, aliases=(*fields[i].aliases, old))
        names[i] = new

    change_spec = changes.get("change_fields") or {}
    if not isinstance(change_spec, dict):
        parser.problem(("changes", "change_fields"), "expected a mapping of field name: changes")
        change_spec = {}
    for name, spec in change_spec.items():
        path = ("changes", "change_fields", name)
        i = index_of(name, path)
        data = parser.mapping(spec, path, CHANGE_FIELD_KEYS)
        if i is None or data is None:
            continue
        fields[i] = _change_field(parser, fields[i], data, path)

    add_spec = changes.get("add_fields") or []
    if not isinstance(add_spec, list):
        parser.problem(("changes", "add_fields"), "expected a list of fields")
        add_spec = []
    for j, item in enumerate(add_spec):
        path = ("changes", "add_fields", j)
        new_field = parser.field(item, path, extra_keys=("after",))
        if new_field is None:
            continue
        after = item.get("after") if isinstance(item, dict) else None
        position = len(fields)
        if after is not None:
            k = index_of(str(after), (*path, "after"))
            if k is not None:
                position = k + 1
        fields.insert(position, new_field)
        names.insert(position, new_field.name)

    removed_rules = set(parser.text_list(changes, "remove_rules", ("changes",)))
    rules = []
    for rule in base.rules:
        if rule.id in removed_rules:
            continue
        check = rule.check.renamed(renames)
        when = rule.when.renamed(renames) if rule.when else None
        group = rule.group.renamed(renames) if rule.group else None
        rules.append(replace(rule, check=check, when=when, group=group))
    known_ids = {r.id for r in base.rules}
    for rule_id in removed_rules - known_ids:
        parser.problem(("changes", "remove_rules"), f"{base.ref} has no rule {rule_id!r}")
    rules.extend(parser.rules(changes.get("add_rules"), ("changes", "add_rules")))

    return_rules = (
        tuple(
            replace(
                r,
                fields=tuple(renames.get(f, f) for f in r.fields),
                differ=tuple(renames.get(f, f) for f in r.differ),
            )
            for r in base.return_rules
        )
        + head.return_rules
    )
    fields = [
        replace(f, required_when=f.required_when.renamed(renames)) if f.required_when else f
        for f in fields
    ]
    continuity = base.continuity
    if continuity is not None:
        continuity = Continuity(
            renames.get(continuity.id_field, continuity.id_field),
            continuity.open_when.renamed(renames),
            tuple(renames.get(f, f) for f in continuity.same),
        )
    return replace(
        head,
        description=head.description or base.description,
        period_field=renames.get(base.period_field or "", base.period_field)
        if head.period_field is None
        else head.period_field,
        provider_field=renames.get(base.provider_field or "", base.provider_field)
        if head.provider_field is None
        else head.provider_field,
        period_every=base.period_every if "period" not in top else head.period_every,
        period_starts=base.period_starts if "period" not in top else head.period_starts,
        date_format=base.date_format if "dates" not in top else head.date_format,
        dates_accepted_with_warning=base.dates_accepted_with_warning
        if "dates" not in top
        else head.dates_accepted_with_warning,
        fields=tuple(fields) + head.fields,
        rules=tuple(rules) + head.rules,
        return_rules=return_rules,
        metrics=tuple(m.renamed(renames) for m in base.metrics) + head.metrics,
        continuity=head.continuity or continuity,
        references=tuple(sorted(set(base.references) | set(head.references))),
        previous_return=head.previous_return
        or (
            replace(
                base.previous_return,
                match=tuple(renames.get(m, m) for m in base.previous_return.match),
                carried_when=base.previous_return.carried_when.renamed(renames)
                if base.previous_return.carried_when
                else None,
            )
            if base.previous_return
            else None
        ),
        # a version may give a lookup of the same name a new table
        lookups=tuple({lookup.name: lookup for lookup in (*base.lookups, *head.lookups)}.values()),
    )


def _change_field(parser: Parser, old: Field, data: dict[str, Any], path: Path_) -> Field:
    """Apply ``change_fields`` entries: plain keys replace, add_/remove_codes edit the list."""
    merged: dict[str, Any] = {"name": old.name, "label": old.label, "type": old.type}
    if old.codes and "codes" not in data:
        merged["codes"] = {c.value: c.label for c in old.codes if not c.unknown}
        merged["unknown_codes"] = {c.value: c.label for c in old.codes if c.unknown} or None
    probe = parser.field(
        {**merged, **{k: v for k, v in data.items() if k in Parser.FIELD_KEYS}}, path
    )
    if probe is None:
        return old
    updates: dict[str, Any] = {}
    for key in data:
        if key in ("codes", "unknown_codes"):
            continue
        if key in Parser.FIELD_KEYS:
            updates[key] = getattr(probe, key)
    if updates.get("type", "date") != "date":
        updates["time"] = None  # a time of day is only for dates
    codes = list(old.codes)
    if "codes" in data or "unknown_codes" in data:
        codes = list(probe.codes)
    for key, unknown in (("add_codes", False), ("add_unknown_codes", True)):
        if key not in data:
            continue
        extra = parser.codes(
            {("unknown_codes" if unknown else "codes"): data[key]}, path, unknown=unknown
        )
        for code in extra:
            if any(c.value == code.value for c in codes):
                parser.problem((*path, key), f"code {code.value!r} already exists")
            codes.append(code)
    for value in parser.text_list(data, "remove_codes", path):
        if not any(c.value == value for c in codes):
            parser.problem((*path, "remove_codes"), f"{old.name} has no code {value!r}")
        codes = [c for c in codes if c.value != value]
    return replace(old, codes=tuple(codes), **updates)


# --------------------------------------------------------------------------------------------
# Cross-reference checks on a whole definition
