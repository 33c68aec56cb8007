"""Reads a questionnaire definition and turns it into a checked :class:`Definition`.

Checks run in two layers. First the JSON Schema (resources/questionnaires/schema/) checks the
structure, so a district editing the file gets the same rules the docs describe. Then the meaning
is checked here: duplicate ids, expression syntax, references to fields that do not exist,
cycles between calculations and relevance, grading thresholds and rules. Every problem found is
reported at once, each naming the field (or location) and the problem.

Why one long file: the semantic checks share one walk over the definition and one problem
list; each check is a short function in the order the docs list them.
"""

from __future__ import annotations

import difflib
import hashlib
import heapq
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from app.questionnaire.errors import (
    DefinitionError,
    DefinitionProblem,
    ExpressionCompileError,
    ExpressionSyntaxError,
)
from app.questionnaire.expression_compiler import (
    Compiled,
    EvalContext,
    Resolver,
    compile_expression,
)
from app.questionnaire.expression_parser import field_references, parse_expression
from app.questionnaire.expression_values import NodeSet, Value
from app.questionnaire.model import (
    CHOICE_TYPES,
    GUARDIANSHIP,
    RESULT_KINDS,
    Calculation,
    Choice,
    Definition,
    Grading,
    Group,
    Item,
    LevelInfo,
    Note,
    Page,
    Question,
    QuestionType,
    Repeat,
    Rule,
    Threshold,
)
from resources import resource_path

if TYPE_CHECKING:
    import jsonschema  # loaded by _schema_validator: a bundled definition needs no schema walk

SCHEMA_RESOURCE = ("questionnaires", "schema", "questionnaire.schema.json")
DEFAULT_DEFINITION_RESOURCE = ("questionnaires", "guardianship_capacity.json")
# The bundled first psychological screen (心理状况筛查, result kind 'screening'): its own id, so
# a district publishes its own screening instrument under that id as it does the assessment.
SCREENING_DEFINITION_RESOURCE = ("questionnaires", "psych_screening.json")
SCREENING_ID = "psych_screening"
# A command-line answer file may wrap the answers as {"definition": ..., "answers": {...}}
# (the shape `questionnaire template` prints), so no item may take these ids.
RESERVED_IDS = frozenset({"answers", "definition"})
_ID_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"


def bundled_definition_path() -> Path:
    """Path of the default instrument, 困境儿童家庭监护能力评估表."""
    return resource_path(*DEFAULT_DEFINITION_RESOURCE)


@cache
def load_default_definition() -> Definition:
    return load_definition(bundled_definition_path())


SUPERSEDED_RESOURCE = ("questionnaires", "superseded")


@cache
def _load_superseded() -> tuple[Definition, ...]:
    folder = resource_path(*SUPERSEDED_RESOURCE)
    return tuple(load_definition(path) for path in sorted(folder.glob("*.json")))


@cache
def load_screening_definition() -> Definition:
    """The bundled psychological screening checklist (初步筛查，不是诊断)."""
    return load_definition(resource_path(*SCREENING_DEFINITION_RESOURCE))


def load_bundled_definitions() -> list[Definition]:
    """The current bundled instrument first, then the earlier bundled versions it replaced
    (``resources/questionnaires/superseded/``), so an assessment made with 1.0.0 on a laptop
    that was then updated still loads and prints with the version it was made with; then the
    bundled instruments of other kinds (the psychological screening checklist)."""
    return [load_default_definition(), *_load_superseded(), load_screening_definition()]


# A definition is tens of kilobytes (the bundled one about 40 KiB); anything past this is not
# one (``/dev/zero``, a disk image), and reading it whole would exhaust memory.
MAX_DEFINITION_BYTES = 1 << 20


class FileTooLargeError(Exception):
    """A file is larger than the bound its reader allows."""


def read_bounded(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of ``path``; raise :class:`FileTooLargeError` when there is more
    (never reads more than ``limit + 1`` bytes, whatever the file is)."""
    with path.open("rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(str(path))
    return data


def load_definition(path: str | Path) -> Definition:
    """Read and check a definition file; raise :class:`DefinitionError` listing every problem."""
    source = str(path)
    try:
        raw = read_bounded(Path(path), MAX_DEFINITION_BYTES)
        text = raw.decode("utf-8")
    except FileTooLargeError:
        problem = DefinitionProblem(
            "", f"the file is larger than {MAX_DEFINITION_BYTES // 1024} KiB: not a definition"
        )
        raise DefinitionError([problem], source) from None
    except OSError as exc:
        problem = DefinitionProblem("", f"cannot read the file: {exc.strerror or exc}")
        raise DefinitionError([problem], source) from None
    except UnicodeDecodeError:
        problem = DefinitionProblem("", "the file is not UTF-8 text")
        raise DefinitionError([problem], source) from None
    return load_definition_text(text, source)


def load_definition_text(text: str, source: str = "") -> Definition:
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError):
            where = f" at line {exc.lineno}, column {exc.colno}"
            problem = DefinitionProblem("", f"not valid JSON: {exc.msg}{where}")
        else:  # NaN or Infinity, which json reads but JSON does not allow
            problem = DefinitionProblem("", f"not valid JSON: {exc}")
        raise DefinitionError([problem], source) from None
    except RecursionError:
        raise DefinitionError([DefinitionProblem("", "JSON nested too deeply")], source) from None
    return definition_from_json(data, source)


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


def definition_from_json(data: object, source: str = "") -> Definition:
    try:
        problems = schema_problems(data)
        if problems:  # the structure is unreliable: stop before reading meaning into it
            raise DefinitionError(problems, source)
        builder = _Builder(cast(dict[str, Any], data), source)
        definition = builder.build()
    except RecursionError:
        problem = DefinitionProblem("", "items are nested too deeply")
        raise DefinitionError([problem], source) from None
    if builder.problems:
        raise DefinitionError(builder.problems, source)
    return definition


@cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    schema = json.loads(resource_path(*SCHEMA_RESOURCE).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


# The schema's verdicts on the definitions seen last, by their content (_content_key).
_SCHEMA_VERDICTS: OrderedDict[bytes, tuple[DefinitionProblem, ...]] = OrderedDict()
_SCHEMA_VERDICTS_KEPT = 32
_SCHEMA_VERDICTS_LOCK = threading.Lock()


def schema_problems(data: object) -> list[DefinitionProblem]:
    """Problems the JSON Schema finds, located by the nearest item id where there is one.

    Remembered per definition content, for the last few definitions: one is loaded again and
    again (each assessment opened, printed or synced loads its instrument) and the schema walk
    is much of a load's cost. A new list each time; the problems in it are frozen."""
    key = _content_key(data)
    if key is None:  # not plain JSON data: checked each time, never remembered
        return _schema_problems(data)
    from app.questionnaire.schema_checked import recorded_keys

    if key in recorded_keys():  # a bundled definition, checked when this version was made
        return []
    with _SCHEMA_VERDICTS_LOCK:
        known = _SCHEMA_VERDICTS.get(key)
        if known is not None:
            _SCHEMA_VERDICTS.move_to_end(key)
            return list(known)
    verdict = tuple(_schema_problems(data))
    with _SCHEMA_VERDICTS_LOCK:
        _SCHEMA_VERDICTS[key] = verdict
        _SCHEMA_VERDICTS.move_to_end(key)
        while len(_SCHEMA_VERDICTS) > _SCHEMA_VERDICTS_KEPT:
            _SCHEMA_VERDICTS.popitem(last=False)
    return list(verdict)


def _content_key(data: object) -> bytes | None:
    """The SHA-256 of the data's JSON text (keys in their order), or None for anything but
    plain JSON values: a tuple prints as a list and an int key as a string, and the schema
    judges them differently."""
    try:
        if not _plain_json(data):
            return None
        text = json.dumps(data, separators=(",", ":"))
    except (RecursionError, ValueError):
        return None
    return hashlib.sha256(text.encode("ascii")).digest()


def _plain_json(value: object) -> bool:
    kind = type(value)
    if kind is dict:
        items = cast(dict[object, object], value).items()
        return all(type(k) is str and _plain_json(v) for k, v in items)
    if kind is list:
        return all(_plain_json(v) for v in cast(list[object], value))
    return value is None or kind in (str, int, float, bool)


def _schema_problems(data: object) -> list[DefinitionProblem]:
    found: dict[tuple[str, str], None] = {}  # ordered and without repeats
    validator = _schema_validator()
    for error in sorted(validator.iter_errors(data), key=_path_order):
        message = _schema_message(error, cast(Mapping[str, Any], validator.schema))
        if message is not None:
            found[(_schema_location(data, list(error.absolute_path)), message)] = None
    return [DefinitionProblem(location, message) for location, message in found]


def _path_order(error: jsonschema.ValidationError) -> list[tuple[int, int, str]]:
    return [(0, s, "") if isinstance(s, int) else (1, 0, str(s)) for s in error.absolute_path]


def _allowed_properties(schema: Mapping[str, Any], root: Mapping[str, Any]) -> set[str]:
    """Property names a (sub)schema allows, following its allOf references."""
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        ref = part.get("$ref", "")
        if ref.startswith("#/$defs/"):
            names |= _allowed_properties(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return names


def _schema_message(error: jsonschema.ValidationError, root: Mapping[str, Any]) -> str | None:
    """A plain message for a schema error; None for noise not worth showing."""
    if error.validator in ("unevaluatedProperties", "additionalProperties"):
        # 'unevaluatedProperties' also fires for good properties beside one that failed; only
        # names the schema does not know at all are real problems.
        instance = error.instance if isinstance(error.instance, dict) else {}
        allowed = _allowed_properties(cast(Mapping[str, Any], error.schema), root)
        unknown = sorted(k for k in instance if k not in allowed)
        if not unknown:
            return None
        names = ", ".join(repr(k) for k in unknown)
        return f"unknown propert{'y' if len(unknown) == 1 else 'ies'} {names}"
    if error.validator == "pattern" and error.schema.get("pattern") == _ID_PATTERN:  # type: ignore[union-attr]
        return f"{error.instance!r} is not a valid id (letters, digits and _, not first a digit)"
    if error.validator == "pattern" and list(error.path) == ["version"]:
        return f"version {error.instance!r} must look like 1, 1.2 or 1.2.3"
    if error.validator == "pattern" and list(error.path)[-1:] == ["value"]:
        return f"choice value {error.instance!r} may hold only letters, digits, _ and -"
    if error.validator == "const" and list(error.path) == ["format"]:
        return "'format' must be \"childdesk-questionnaire/1\""
    if error.validator == "enum" and list(error.path)[-1:] == ["type"]:
        return f"unknown item type {error.instance!r}"
    return error.message


_ITEM_STEP = re.compile(r"(^|\.)items\[\d+\]$")


def _schema_location(data: object, path: list[object]) -> str:
    """'ph_meals.choices[1]' style: the nearest item's id, then the rest of the path."""
    text = ""
    node: object = data
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
        else:
            text += f".{step}" if text else str(step)
            node = node.get(step) if isinstance(node, dict) else None
        in_items = _ITEM_STEP.search(text) is not None
        if isinstance(node, dict) and isinstance(node.get("id"), str) and in_items:
            text = node["id"]
    return text or "(top level)"


class _Builder:
    def __init__(self, data: dict[str, Any], source: str) -> None:
        self.data = data
        self.source = source
        self.problems: list[DefinitionProblem] = []
        self.by_id: dict[str, Item] = {}
        self.all_items: list[Item] = []  # document order

    def problem(self, location: str, message: str) -> None:
        self.problems.append(DefinitionProblem(location, message))

    # ---- structure -------------------------------------------------------------------------

    @property
    def result_kind(self) -> str:
        return str(self.data.get("result_kind", GUARDIANSHIP))

    def build(self) -> Definition:
        items = self.build_items(self.data["items"], "items", None, None)
        self.check_expressions()
        order = self.evaluation_order()
        sections = [i for i in self.all_items if isinstance(i, Group) and i.has_scores]
        grading = self.build_grading(sections) if "grading" in self.data else None
        questions = [i for i in self.all_items if isinstance(i, Question)]
        return Definition(
            id=self.data["id"],
            version=self.data["version"],
            title=self.data["title"],
            description=self.data.get("description", ""),
            items=items,
            by_id=self.by_id,
            order=order,
            questions=questions,
            sections=sections,
            pages=_pages(items),
            grading=grading,
            source=self.source,
            result_kind=self.result_kind,
        )

    def build_items(
        self,
        raw_items: list[dict[str, Any]],
        location: str,
        parent: Group | None,
        repeat: Repeat | None,
    ) -> list[Item]:
        items: list[Item] = []
        for index, raw in enumerate(raw_items):
            here = f"{location}[{index}]"
            item = self.build_item(raw, here, parent, repeat)
            if item.id in RESERVED_IDS:
                self.problem(item.id, f"the id '{item.id}' is reserved; choose another")
            if item.id in self.by_id:
                first = self.by_id[item.id]
                self.problem(here, f"duplicate id '{item.id}' (already used at {first.location})")
            else:
                self.by_id[item.id] = item
            items.append(item)
        return items

    def build_item(
        self, raw: dict[str, Any], here: str, parent: Group | None, repeat: Repeat | None
    ) -> Item:
        kind = raw["type"]
        common: dict[str, Any] = {
            "id": raw["id"],
            "label": raw.get("label", ""),
            "hint": raw.get("hint"),
            "location": here,
            "parent": parent,
            "repeat": repeat,
            "relevant_text": raw.get("relevant"),
        }
        item: Item
        if kind == "group":
            group = Group(**common, page=raw.get("page", False))
            self.all_items.append(group)
            self.check_page_nesting(group)
            group.items = self.build_items(raw["items"], f"{here}.items", group, repeat)
            group.has_scores = any(_is_scored(child) for child in group.items)
            item = group
        elif kind == "repeat":
            block = Repeat(
                **common,
                page=raw.get("page", False),
                min_count=raw.get("min_count", 0),
                max_count=raw.get("max_count"),
                score_aggregate=raw.get("score_aggregate", "sum"),
            )
            self.all_items.append(block)
            self.check_page_nesting(block)
            if repeat is not None:
                self.problem(
                    block.id,
                    f"repeat groups cannot be nested (it is inside repeat group '{repeat.id}')",
                )
            if block.max_count is not None and block.min_count > block.max_count:
                self.problem(
                    block.id,
                    f"min_count ({block.min_count}) is larger than max_count ({block.max_count})",
                )
            block.items = self.build_items(raw["items"], f"{here}.items", block, block)
            block.has_scores = any(_is_scored(child) for child in block.items)
            item = block
        elif kind == "note":
            item = Note(**common)
            self.all_items.append(item)
        elif kind == "calculate":
            item = Calculation(
                **common,
                calculation_text=raw["calculation"],
                score_text=raw.get("score"),
                max_score=raw.get("max_score") if "score" in raw else None,
            )
            self.all_items.append(item)
            if "max_score" in raw and "score" not in raw:
                self.problem(item.id, "max_score is given but there is no score expression")
        else:
            item = self.build_question(raw, common)
            self.all_items.append(item)
        return item

    def check_page_nesting(self, group: Group) -> None:
        if not group.page:
            return
        if group.repeat is not None:
            self.problem(group.id, f"a page cannot be inside repeat group '{group.repeat.id}'")
            return
        outer = group.parent
        while outer is not None:
            if outer.page:
                self.problem(group.id, f"a page cannot be inside another page ('{outer.id}')")
                return
            outer = outer.parent

    def build_question(self, raw: dict[str, Any], common: dict[str, Any]) -> Question:
        qtype = QuestionType(raw["type"])
        required = raw.get("required", False)
        question = Question(
            **common,
            type=qtype,
            required=required is True,
            required_text=required if isinstance(required, str) else None,
            required_message=raw.get("required_message"),
            constraint_text=raw.get("constraint"),
            constraint_message=raw.get("constraint_message"),
        )
        if qtype in CHOICE_TYPES:
            choices: list[Choice] = []
            for index, raw_choice in enumerate(raw["choices"]):
                choice = Choice(
                    value=raw_choice["value"],
                    label=raw_choice["label"],
                    score=raw_choice.get("score"),
                    hint=raw_choice.get("hint"),
                )
                if choice.value in question.choice_by_value:
                    self.problem(
                        f"{question.id}.choices[{index}]",
                        f"duplicate choice value '{choice.value}'",
                    )
                    continue
                question.choice_by_value[choice.value] = choice
                choices.append(choice)
            question.choices = tuple(choices)
            scores = [c.score for c in choices if c.score is not None]
            if qtype is QuestionType.SINGLE_CHOICE and scores:
                question.max_score = max(scores)
            elif qtype is QuestionType.MULTIPLE_CHOICE:
                if "max_score" in raw:
                    question.max_score = raw["max_score"]
                    if not scores:
                        self.problem(question.id, "max_score is given but no choice has a score")
                elif scores:
                    question.max_score = sum(s for s in scores if s > 0)
        elif qtype is QuestionType.YES_NO:
            if "scores" in raw:
                question.yes_no_scores = dict(raw["scores"])
                question.max_score = max(question.yes_no_scores.values())
        elif "score" in raw:
            question.score_text = raw["score"]
            question.max_score = raw["max_score"]
        return question

    # ---- expressions -----------------------------------------------------------------------

    def compile(
        self,
        location: str,
        text: str | None,
        scope: Repeat | None,
        *,
        allow_self: bool = False,
        sections: frozenset[str] | None = None,
    ) -> tuple[Compiled | None, set[str]]:
        """Parse and compile one expression; return the closure and the field ids it reads."""
        if text is None:
            return None, set()
        try:
            node = parse_expression(text)
        except ExpressionSyntaxError as exc:
            self.problem(location, f"syntax error: {exc} in `{text}`")
            return None, set()
        try:
            compiled = compile_expression(
                node, self.resolver(scope), allow_self=allow_self, sections=sections
            )
        except ExpressionCompileError as exc:
            self.problem(location, f"{exc} in `{text}`")
            return None, set()
        return compiled, field_references(node)

    def resolver(self, scope: Repeat | None) -> Resolver:
        by_id = self.by_id

        def resolve(name: str, as_node_set: bool) -> Compiled:
            target = by_id.get(name)
            if target is None:
                close = difflib.get_close_matches(name, list(by_id), n=1)
                suggestion = f" (did you mean ${{{close[0]}}}?)" if close else ""
                raise ExpressionCompileError(f"refers to unknown field ${{{name}}}{suggestion}")
            if isinstance(target, Note):
                raise ExpressionCompileError(f"${{{name}}} is a note; it has no value")
            if isinstance(target, Repeat):
                if target is scope:
                    raise ExpressionCompileError(
                        f"${{{name}}} is the repeat group this expression is in; "
                        "refer to its fields instead"
                    )
                if not as_node_set:
                    raise ExpressionCompileError(
                        f"${{{name}}} is a repeat group; use it as count(${{{name}}})"
                    )
                return _repeat_blocks(name)
            if isinstance(target, Group):
                raise ExpressionCompileError(f"${{{name}}} is a group; it has no value")
            if target.repeat is None:
                return _top_value(name)
            if target.repeat is scope:
                return _scope_value(name)
            if scope is not None:
                raise ExpressionCompileError(
                    f"${{{name}}} is in repeat group '{target.repeat.id}' and cannot be used "
                    f"from repeat group '{scope.id}'"
                )
            if not as_node_set:
                raise ExpressionCompileError(
                    f"${{{name}}} is inside repeat group '{target.repeat.id}'; outside it, use "
                    f"it inside count(), sum(), min() or max()"
                )
            return _repeat_values(target.repeat.id, name)

        return resolve

    def check_expressions(self) -> None:
        """Compile every item's expressions and record what each item depends on."""
        self.depends: dict[str, list[tuple[str, str]]] = {}  # id -> [(dependency id, why)]
        for item in self.all_items:
            deps: list[tuple[str, str]] = []
            if item.parent is not None:
                deps.append((item.parent.id, f"inside group {item.parent.id}"))
            # A repeat's own relevance is decided outside it (repeats do not nest).
            scope = None if isinstance(item, Repeat) else item.repeat
            item.relevant, refs = self.compile(f"{item.id}.relevant", item.relevant_text, scope)
            deps += [(r, f"relevant uses ${{{r}}}") for r in sorted(refs)]
            if isinstance(item, Calculation):
                item.calculation, refs = self.compile(
                    f"{item.id}.calculation", item.calculation_text, scope
                )
                deps += [(r, f"calculation uses ${{{r}}}") for r in sorted(refs)]
                item.score_fn, _ = self.compile(
                    f"{item.id}.score", item.score_text, scope, allow_self=True
                )
            elif isinstance(item, Question):
                item.constraint, _ = self.compile(
                    f"{item.id}.constraint", item.constraint_text, scope, allow_self=True
                )
                item.required_fn, _ = self.compile(f"{item.id}.required", item.required_text, scope)
                item.score_fn, _ = self.compile(
                    f"{item.id}.score", item.score_text, scope, allow_self=True
                )
            self.depends[item.id] = [(d, why) for d, why in deps if d in self.by_id]

    def evaluation_order(self) -> list[Item]:
        """Items ordered so each comes after what it depends on; cycles are problems."""
        position = {item.id: index for index, item in enumerate(self.all_items)}
        ids = [item.id for item in self.all_items if self.by_id.get(item.id) is item]
        waiting = {i: len({d for d, _ in self.depends.get(i, [])}) for i in ids}
        dependents: dict[str, set[str]] = {i: set() for i in ids}
        for i in ids:
            for dep, _ in self.depends.get(i, []):
                dependents[dep].add(i)
        ready = [(position[i], i) for i in ids if waiting[i] == 0]
        heapq.heapify(ready)
        order: list[Item] = []
        while ready:
            _, current = heapq.heappop(ready)
            order.append(self.by_id[current])
            for follower in dependents[current]:
                waiting[follower] -= 1
                if waiting[follower] == 0:
                    heapq.heappush(ready, (position[follower], follower))
        if len(order) < len(ids):
            self.report_cycles({i for i in ids if waiting[i] > 0}, position)
        return order

    def report_cycles(self, stuck: set[str], position: Mapping[str, int]) -> None:
        reported: set[frozenset[str]] = set()
        for start in sorted(stuck, key=position.__getitem__):
            path: list[str] = []
            reasons: list[str] = []
            seen: dict[str, int] = {}
            current = start
            while current not in seen:
                seen[current] = len(path)
                path.append(current)
                nxt = next(
                    ((d, why) for d, why in self.depends.get(current, []) if d in stuck), None
                )
                if nxt is None:  # pragma: no cover - a stuck item always waits on a stuck one
                    break
                reasons.append(nxt[1])
                current = nxt[0]
            else:
                cycle = path[seen[current] :]
                why = reasons[seen[current] :]
                key = frozenset(cycle)
                if key in reported:
                    continue
                reported.add(key)
                all_calcs = all(isinstance(self.by_id[c], Calculation) for c in cycle)
                kind = "calculation cycle" if all_calcs else "dependency cycle"
                steps = " → ".join(f"{c} ({w})" for c, w in zip(cycle, why, strict=True))
                self.problem(cycle[0], f"{kind}: {steps} → {cycle[0]}")

    # ---- grading ---------------------------------------------------------------------------

    def build_grading(self, sections: list[Group]) -> Grading:
        raw = self.data["grading"]
        section_ids = frozenset(s.id for s in sections)
        graded_section = raw.get("graded_section")
        if graded_section is not None and graded_section not in section_ids:
            self.problem(
                "grading.graded_section",
                f"'{graded_section}' is not a group holding scored questions",
            )
        thresholds = tuple(Threshold(t["level"], t.get("min")) for t in raw["thresholds"])
        for index, threshold in enumerate(thresholds):
            where = f"grading.thresholds[{index}]"
            last = index == len(thresholds) - 1
            if last and threshold.min is not None:
                self.problem(where, "the last threshold must have no 'min' (it catches the rest)")
            if not last and threshold.min is None:
                self.problem(where, "only the last threshold may leave out 'min'")
            previous = thresholds[index - 1].min if index else None
            if threshold.min is not None and previous is not None and threshold.min >= previous:
                self.problem(
                    where,
                    f"'min' must be lower than the threshold before it ({threshold.min} >= "
                    f"{previous}); the first threshold that matches wins",
                )
        levels = {
            level: LevelInfo(
                label=info["label"],
                description=info.get("description", ""),
                recommendations=tuple(info["recommendations"]),
            )
            for level, info in raw["levels"].items()
        }
        rules: list[Rule] = []
        rule_ids: set[str] = set()
        for index, raw_rule in enumerate(raw.get("rules", [])):
            where = f"grading.rules[{index}]"
            rule = Rule(
                id=raw_rule["id"],
                when_text=raw_rule["when"],
                effect=raw_rule.get("effect", "force"),
                level=raw_rule["level"],
                reason=raw_rule["reason"],
                mandatory_report=raw_rule.get("mandatory_report", False),
                recommendations=tuple(raw_rule.get("recommendations", [])),
                location=where,
            )
            if rule.id in rule_ids:
                self.problem(where, f"duplicate rule id '{rule.id}'")
            rule_ids.add(rule.id)
            rule.when, _ = self.compile(
                f"grading.rules.{rule.id}.when", rule.when_text, None, sections=section_ids
            )
            rules.append(rule)
        used = [(f"grading.thresholds[{i}]", t.level) for i, t in enumerate(thresholds)]
        used += [(f"grading.rules.{r.id}", r.level) for r in rules]
        used += [(f"grading.levels.{level}", level) for level in levels]
        allowed = RESULT_KINDS[self.result_kind]
        for where, level in used:
            if level not in allowed:
                self.problem(
                    where,
                    f"level '{level}' is not one of the result kind '{self.result_kind}' "
                    f"({', '.join(allowed)})",
                )
            elif level not in levels:
                self.problem(where, f"level '{level}' has no entry in grading.levels")
        return Grading(
            graded_value=raw.get("graded_value", "percent"),
            graded_section=graded_section,
            thresholds=thresholds,
            levels=levels,
            rules=tuple(rules),
        )


def _is_scored(item: Item) -> bool:
    if isinstance(item, Question | Calculation):
        return item.scored
    return isinstance(item, Group) and item.has_scores


def _top_value(name: str) -> Compiled:
    return lambda ctx: ctx.top.get(name)


def _scope_value(name: str) -> Compiled:
    return lambda ctx: ctx.values.get(name)


def _repeat_blocks(repeat_id: str) -> Compiled:
    def blocks(ctx: EvalContext) -> Value:
        return NodeSet(tuple(ctx.repeats.get(repeat_id, ())), is_repeat=True)

    return blocks


def _repeat_values(repeat_id: str, name: str) -> Compiled:
    def values(ctx: EvalContext) -> Value:
        return NodeSet(tuple(block.get(name) for block in ctx.repeats.get(repeat_id, ())))

    return values


def _pages(items: list[Item]) -> list[Page]:
    """Wizard pages: each group marked 'page', and each run of loose items between them."""
    pages: list[Page] = []
    loose: list[Item] = []
    loose_label = ""

    def flush() -> None:
        if loose:
            pages.append(Page(f"page_{loose[0].id}", loose_label, None, tuple(loose)))
            loose.clear()

    def holds_page(group: Group) -> bool:
        return any(isinstance(i, Group) and (i.page or holds_page(i)) for i in group.items)

    def walk(children: Iterable[Item], label: str) -> None:
        nonlocal loose_label
        for item in children:
            if isinstance(item, Group) and item.page:
                flush()
                pages.append(Page(item.id, item.label, item, tuple(item.items)))
            elif isinstance(item, Group) and holds_page(item):
                flush()
                walk(item.items, item.label)
            else:
                if not loose:
                    loose_label = label
                loose.append(item)

    walk(items, "")
    flush()
    return pages


def iter_items(items: Iterable[Item]) -> Iterable[Item]:
    """Every item in document order, groups before their contents."""
    for item in items:
        yield item
        if isinstance(item, Group):
            yield from iter_items(item.items)
