"""Questionnaire commands: check a definition, print an answer template, score answers.

    childdesk questionnaire check FILE
    childdesk questionnaire template FILE [-o OUT]
    childdesk questionnaire score FILE ANSWERS.json [--today YYYY-MM-DD] [--json]

FILE may be ``@default`` for the bundled 困境儿童家庭监护能力评估表. Exit codes: 0 done, 1 the
definition or the answers were refused (every problem is listed), 2 wrong command-line use.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from app.questionnaire import (
    AnswerError,
    AnswerProblem,
    Definition,
    DefinitionError,
    answer_template,
    bundled_definition_path,
    evaluate,
    load_definition,
    score,
)
from app.questionnaire.loader import FileTooLargeError, read_bounded

DEFAULT_MARKER = "@default"
MAX_ANSWERS_BYTES = 1 << 20  # answers to one questionnaire are a few kilobytes


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "questionnaire",
        help="check, template and score questionnaire definitions (评估表)",
        description="Work with questionnaire definitions such as the guardianship-capacity "
        "assessment (困境儿童家庭监护能力评估表). FILE may be @default for the bundled one.",
    )
    actions = parser.add_subparsers(dest="questionnaire_action", metavar="ACTION", required=True)

    check = actions.add_parser(
        "check", help="validate a definition; list every problem", description=check_help()
    )
    check.add_argument("file", metavar="FILE", help="definition JSON file, or @default")
    check.set_defaults(handler=run_check)

    template = actions.add_parser(
        "template",
        help="print a JSON skeleton of the answers with allowed values and scores",
        description="Print every question with its allowed values and their scores, and an "
        "'answers' skeleton to fill in for `questionnaire score`.",
    )
    template.add_argument("file", metavar="FILE", help="definition JSON file, or @default")
    template.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")
    template.set_defaults(handler=run_template)

    score_parser = actions.add_parser(
        "score",
        help="score answers: level, section scores, rules that fired, recommendations",
        description="Score a complete set of answers and print the result as JSON. Answers "
        "are a JSON object (question id -> value; a repeat group as a list of objects), or a "
        "filled-in template with an 'answers' object.",
    )
    score_parser.add_argument("file", metavar="FILE", help="definition JSON file, or @default")
    score_parser.add_argument("answers", metavar="ANSWERS.json", help="the answers to score")
    score_parser.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        type=_date_argument,
        help="the assessment date, used by today() (default: the real date)",
    )
    score_parser.add_argument(
        "--json", action="store_true", help="print problems as JSON on stdout too"
    )
    score_parser.set_defaults(handler=run_score)


def check_help() -> str:
    return (
        "Validate a questionnaire definition against the JSON Schema and the engine's rules "
        "(ids, expressions, references, cycles, grading). Exit 0 if valid, else 1 with every "
        "problem listed."
    )


def _date_argument(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def _safe_streams() -> None:
    # Old Windows consoles use GBK or cp1252; never crash on a character they cannot show.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _definition_path(file: str) -> Path:
    return bundled_definition_path() if file == DEFAULT_MARKER else Path(file)


def _load(file: str) -> Definition | None:
    """The definition, or None after printing why it was refused."""
    try:
        return load_definition(_definition_path(file))
    except DefinitionError as exc:
        count = len(exc.problems)
        print(
            f"{file}: invalid questionnaire definition "
            f"({count} problem{'s' if count != 1 else ''}):",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return None


def run_check(args: argparse.Namespace) -> int:
    _safe_streams()
    definition = _load(args.file)
    if definition is None:
        return 1
    in_repeats = sum(1 for q in definition.questions if q.repeat is not None)
    rules = len(definition.grading.rules) if definition.grading else 0
    print(
        f"OK: {args.file}: {definition.id} {definition.version} ({definition.title}): "
        f"{len(definition.questions)} questions ({in_repeats} in repeat groups), "
        f"{len(definition.pages)} pages, {len(definition.sections)} scored groups, "
        f"{rules} grading rules"
    )
    return 0


def run_template(args: argparse.Namespace) -> int:
    _safe_streams()
    definition = _load(args.file)
    if definition is None:
        return 1
    text = json.dumps(answer_template(definition), ensure_ascii=False, indent=2) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_score(args: argparse.Namespace) -> int:
    _safe_streams()
    definition = _load(args.file)
    if definition is None:
        return 1
    answers, problems = _read_answers(args.answers, definition)
    if not problems:
        try:
            result = score(definition, answers, today=args.today)
        except AnswerError as exc:
            problems = exc.problems
        else:
            _note_ignored(definition, answers, args.today, sys.stderr)
            print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
            return 0
    count = len(problems)
    print(
        f"{args.answers}: answers refused ({count} problem{'s' if count != 1 else ''}):",
        file=sys.stderr,
    )
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    if args.json:
        report = {"errors": [p.to_json() for p in problems]}
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 1


def _read_answers(file: str, definition: Definition) -> tuple[object, list[AnswerProblem]]:
    try:
        text = read_bounded(Path(file), MAX_ANSWERS_BYTES).decode("utf-8")
    except FileTooLargeError:
        too_large = f"larger than {MAX_ANSWERS_BYTES // 1024} KiB, not a set of answers"
        return None, [AnswerProblem("", "not_an_object", f"cannot read the file: {too_large}")]
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return None, [AnswerProblem("", "not_an_object", f"cannot read the file: {reason}")]
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        return None, [AnswerProblem("", "not_an_object", message)]
    except RecursionError:
        return None, [AnswerProblem("", "not_an_object", "JSON nested too deeply")]
    # A filled-in template: {"definition": {...}, "questions": {...}, "answers": {...}}.
    if isinstance(data, dict) and isinstance(data.get("answers"), dict):
        named = data.get("definition")
        if isinstance(named, dict) and (
            named.get("id") != definition.id or named.get("version") != definition.version
        ):
            message = (
                f"these answers were prepared for {named.get('id')} {named.get('version')}, "
                f"not {definition.id} {definition.version}"
            )
            return None, [AnswerProblem("definition", "wrong_definition", message)]
        data = data["answers"]
    return data, []


def _note_ignored(definition: Definition, answers: object, today: date | None, out: TextIO) -> None:
    """Answers to questions that are not relevant are not errors, but say so."""
    for path in evaluate(definition, answers, today=today).ignored:
        print(f"note: {path}: answered but not relevant here; not scored", file=out)
