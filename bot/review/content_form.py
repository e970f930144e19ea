"""The edit form of one declaration (Innehåll → Redigera), without Sanic: the declaration's
fields as form values and back, the row buttons (add, remove, move up and down) that work
without JavaScript, and validation with the catalog loader's own model (`Declaration`),
each problem as a code on the form field it belongs to (the template words it in Swedish).

Fields the form does not show (facts, keywords, the English texts, review dates …) are
kept from the text the editor started from. English that no longer matches the Swedish
(a removed promise, a list of another length) is dropped: the bot then gives that part in
Swedish with its note, and `bot check` lists it.
"""

from __future__ import annotations

import io
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, cast

import yaml
from pydantic import ValidationError
from ruamel.yaml import YAML  # Rasa's own YAML library (round-trip mode keeps comments)
from ruamel.yaml.error import YAMLError

from bot.core.catalog import Declaration

SCALARS = ("name", "summary", "source_url")
CONTACT_SCALARS = ("phone", "phone_option", "email")
LISTS = ("other_sources", "expectations", "if_not_kept", "contact_other", "synonyms", "implied_by")
PROMISE_FIELDS = ("id", "text", "commitment")
ROW_ACTIONS = ("add", "remove", "up", "down")
MAX_ROWS = 200
# English lists that must match a Swedish list row for row.
_ENGLISH_LISTS = {"expectations": "expectations", "if_not_kept": "if_not_kept"}


@dataclass
class EditForm:
    scalars: dict[str, str] = field(default_factory=dict)  # name, summary, source_url
    contact: dict[str, str] = field(default_factory=dict)  # phone, phone_option, email
    lists: dict[str, list[str]] = field(default_factory=dict)
    promises: list[dict[str, str]] = field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def form_from_data(data: Mapping[str, Any]) -> EditForm:
    contact = data.get("contact") or {}
    lists = {name: [_text(v) for v in data.get(name) or []] for name in LISTS}
    lists["contact_other"] = [_text(v) for v in contact.get("other") or []]
    return EditForm(
        scalars={name: _text(data.get(name)) for name in SCALARS},
        contact={name: _text(contact.get(name)) for name in CONTACT_SCALARS},
        lists=lists,
        promises=[
            {name: _text(p.get(name)) for name in PROMISE_FIELDS}
            for p in data.get("promises") or []
        ],
    )


def _count(values: Mapping[str, str], name: str) -> int:
    try:
        return max(0, min(MAX_ROWS, int(values.get(f"{name}-n", "0"))))
    except ValueError:
        return 0


def form_from_values(values: Mapping[str, str]) -> EditForm:
    """The form as posted (`values`: field name → its one value, blanks kept)."""
    lists = {
        name: [values.get(f"{name}-{i}", "") for i in range(_count(values, name))] for name in LISTS
    }
    return EditForm(
        scalars={name: values.get(name, "") for name in SCALARS},
        contact={name: values.get(f"contact-{name}", "") for name in CONTACT_SCALARS},
        lists=lists,
        promises=[
            {name: values.get(f"promises-{i}-{name}", "") for name in PROMISE_FIELDS}
            for i in range(_count(values, "promises"))
        ],
    )


def apply_row_action(form: EditForm, action: str) -> str | None:
    """Apply a row button ("add:synonyms", "remove:promises:2", "up:expectations:1", …);
    returns the id of the field to put the focus on, or None when the action is unknown."""
    parts = action.split(":")
    if len(parts) not in (2, 3) or parts[0] not in ROW_ACTIONS:
        return None
    verb, name = parts[0], parts[1]
    if name != "promises" and name not in LISTS:
        return None
    rows = cast(list[Any], form.promises if name == "promises" else form.lists[name])
    if verb == "add":
        if len(rows) >= MAX_ROWS:
            return None
        blank: Any = {k: "" for k in PROMISE_FIELDS} if name == "promises" else ""
        rows.append(blank)
        index = len(rows) - 1
        return f"{name}-{index}-id" if name == "promises" else f"{name}-{index}"
    try:
        index = int(parts[2]) if len(parts) == 3 else -1
    except ValueError:
        return None
    if not 0 <= index < len(rows):
        return None
    if verb == "remove":
        rows.pop(index)
        return name
    other = index - 1 if verb == "up" else index + 1
    if not 0 <= other < len(rows):
        return None
    rows.insert(min(index, other), rows.pop(max(index, other)))
    return f"{name}-{other}-id" if name == "promises" else f"{name}-{other}"


def _optional(value: str) -> str | None:
    value = value.strip()
    return value or None


def merged_data(base: Mapping[str, Any], form: EditForm) -> dict[str, Any]:
    """`base` (the declaration as the editor got it) with the form's fields laid over."""
    data = dict(base)
    for name in SCALARS:
        data[name] = form.scalars.get(name, "")
    old_promises = {p.get("id"): p for p in base.get("promises") or []}
    promises = []
    for row in form.promises:
        promise: dict[str, Any] = dict(old_promises.get(row["id"].strip(), {}))
        promise["id"] = row["id"]
        promise["text"] = row["text"]
        commitment = _optional(row["commitment"])
        if commitment is None:
            promise.pop("commitment", None)
        else:
            promise["commitment"] = commitment
        promises.append(promise)
    data["promises"] = promises
    for name in ("other_sources", "expectations", "if_not_kept", "synonyms", "implied_by"):
        rows = list(form.lists.get(name, []))
        if rows or name in base:  # an empty list the file did not have stays out of it
            data[name] = rows
    contact: dict[str, Any] = dict(base.get("contact") or {})
    contact["phone"] = form.contact.get("phone", "")
    for name in ("phone_option", "email"):
        value = _optional(form.contact.get(name, ""))
        if value is None:
            contact.pop(name, None)
        else:
            contact[name] = value
    other = list(form.lists.get("contact_other", []))
    if other or "other" in contact:
        contact["other"] = other
    data["contact"] = contact
    if isinstance(base.get("en"), Mapping):
        data["en"] = _matching_english(base, data)
    return data


def _matching_english(base: Mapping[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    english = dict(base["en"])
    ids = {p["id"] for p in data["promises"]}
    if isinstance(english.get("promises"), Mapping):
        english["promises"] = {k: v for k, v in english["promises"].items() if k in ids}
    pairs = {**_ENGLISH_LISTS, "contact_other": "contact_other"}
    for swedish_name, english_name in pairs.items():
        swedish = (
            data["contact"]["other"] if swedish_name == "contact_other" else data[swedish_name]
        )
        before = (
            (base.get("contact") or {}).get("other")
            if swedish_name == "contact_other"
            else base.get(swedish_name)
        ) or []
        if english.get(english_name) and len(swedish) != len(before):
            english.pop(english_name)
    return english


def field_name(loc: tuple[Any, ...]) -> str:
    """The form field of a validation error's location."""
    parts = [str(p) for p in loc]
    if parts[:2] == ["contact", "other"]:
        return "-".join(["contact_other", *parts[2:3]])
    if parts and parts[0] == "contact":
        return "-".join(parts[:2])
    if parts and parts[0] == "promises":
        return "-".join(parts[:3])
    return "-".join(parts[:2])


def error_code(error: Mapping[str, Any]) -> str:
    kind, message = str(error.get("type", "")), str(error.get("msg", ""))
    loc = [str(p) for p in error.get("loc", ())]
    if kind == "value_error.any_str.min_length" or kind.startswith("type_error.none"):
        return "empty"
    if kind == "value_error.missing":
        return "empty"
    if kind == "value_error.list.min_items":
        return "need_one"
    if kind == "value_error.str.regex":
        return "bad_id" if loc[-1:] == ["id"] else "bad_url"
    if "unique" in message:
        return "duplicate_id"
    if "at least one promise" in message:
        return "need_promise"
    if "URL" in message:
        return "bad_url"
    if loc[:1] == ["en"]:
        return "english"
    return "invalid"


def validate(data: Mapping[str, Any]) -> dict[str, str]:
    """Every problem the catalog's model finds, by form field (code per field); empty
    when the declaration is valid on its own (the whole catalog is checked on save)."""
    try:
        Declaration.parse_obj(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            errors.setdefault(field_name(tuple(error["loc"])), error_code(error))
        if len(errors) > 1:  # the English is checked against Swedish fields that failed
            errors.pop("en", None)
        return errors
    return {}


def dump(data: Mapping[str, Any]) -> str:
    """The declaration file's YAML text."""
    return yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=10_000)


def _same_style(old: Any, new: Any) -> Any:
    """`new` as a scalar of `old`'s style (quoted, folded …) when both are text."""
    if isinstance(old, str) and isinstance(new, str) and type(old) is not str:
        try:
            return type(old)(new)
        except TypeError:
            return new
    return new


def _lay_over(old: Any, new: Any) -> Any:
    """`old` (a round-trip YAML node) changed only where `new` differs, so comments,
    quoting and order stay where nothing changed."""
    if old == new:
        return old
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [k for k in old if k not in new]:
            del old[key]
        style = next((v for v in old.values() if isinstance(v, str)), None)
        for key, value in new.items():
            old[key] = _lay_over(old[key], value) if key in old else _same_style(style, value)
        return old
    if isinstance(old, list) and isinstance(new, list):
        return _lay_list_over(old, new)
    return _same_style(old, new)


def _key(item: Any) -> Hashable:
    """What identifies a list item across an edit: a promise by its id, a text by itself."""
    if isinstance(item, dict):
        return ("id", str(item.get("id")))
    if isinstance(item, (str, int, float, bool)) or item is None:
        return ("value", item)
    return ("object", id(item))


def _lay_list_over(old: Any, new: list[Any]) -> Any:
    """The rows of `old` that stay are kept as they were (found by `_key`, so removing or
    moving one row rewrites only that row); rows edited in place keep their quoting."""
    style = next((item for item in old if isinstance(item, str)), None)
    rows: list[Any] = []
    by_key = {_key(item): item for item in old if isinstance(item, dict)}
    matcher = SequenceMatcher(None, [_key(i) for i in old], [_key(i) for i in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            rows += [_lay_over(old[i1 + k], new[j1 + k]) for k in range(j2 - j1)]
        else:  # new rows, or rows moved: a moved promise is its old node, changed
            rows += [
                _lay_over(by_key[_key(value)], value)
                if isinstance(value, dict) and _key(value) in by_key
                else _same_style(style, value)
                for value in new[j1:j2]
            ]
    comments: Any = getattr(getattr(old, "ca", None), "items", None)
    # A comment after the list hangs on its last item: it moves to the new last one.
    after: Any = comments.pop(len(old) - 1, None) if comments is not None and old else None
    for i, row in enumerate(rows):
        if i >= len(old):
            old.append(row)
        elif old[i] is not row:
            old[i] = row
    while len(old) > len(rows):
        del old[len(old) - 1]
    if after is not None and old:
        comments[len(old) - 1] = after
    return old


def dump_over(original: str, data: Mapping[str, Any]) -> str:
    """The declaration file's YAML text: `original` with only what changed in `data`
    written again (comments, quoting and order kept elsewhere, so the diff a reviewer
    reads is the change, not the file); a plain dump when `original` cannot be read."""
    yaml_rt: Any = YAML()  # round-trip: keeps comments and quoting
    yaml_rt.preserve_quotes = True
    yaml_rt.width = 10_000
    yaml_rt.indent(mapping=2, sequence=4, offset=2)
    try:
        tree = yaml_rt.load(original)
    except YAMLError:
        return dump(data)
    if not isinstance(tree, dict):
        return dump(data)
    out = io.StringIO()
    yaml_rt.dump(_lay_over(tree, dict(data)), out)
    return _original_indentation(original, out.getvalue())


def _original_indentation(original: str, text: str) -> str:
    """`text` with the original's lines wherever only their indentation differs (a file
    may indent its lists two ways; the writer knows one): kept only when the result reads
    as the same data."""
    before, after = original.splitlines(keepends=True), text.splitlines(keepends=True)
    matcher = SequenceMatcher(
        None, [line.strip() for line in before], [line.strip() for line in after], autojunk=False
    )
    lines: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        lines += before[i1:i2] if tag == "equal" else after[j1:j2]
    joined = "".join(lines)
    try:
        same = yaml.safe_load(joined) == yaml.safe_load(text)
    except yaml.YAMLError:
        same = False
    return joined if same else text
