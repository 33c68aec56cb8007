"""`childdesk questionnaire check|template|score`: the bundled instrument checked by the real
console script (.venv/bin/childdesk), the rest in-process — through the console script's
``main`` as :func:`tests.conftest.run_cli_in_process` runs it (exit code, standard output and
error as a process gives them), and through ``app.cli.main`` with capsys."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from tests.conftest import run_cli_in_process as childdesk
from tests.questionnaire.helpers import ANSWERS, TODAY_TEXT, minimal_definition
from tests.questionnaire.helpers import childdesk as childdesk_process

BEST = str(ANSWERS / "best_case.json")
WORST = str(ANSWERS / "worst_case.json")


def test_check_the_bundled_instrument() -> None:
    result = childdesk_process("questionnaire", "check", "@default")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "OK: @default: guardianship_capacity 1.1.0 (困境儿童家庭监护能力评估表)"
    )
    assert "61 questions (8 in repeat groups), 12 pages" in result.stdout


def test_check_a_copy_of_the_bundled_file(tmp_path: Path) -> None:
    from app.questionnaire import bundled_definition_path

    copy = tmp_path / "评估表.json"
    copy.write_bytes(bundled_definition_path().read_bytes())
    result = childdesk("questionnaire", "check", str(copy))
    assert result.returncode == 0, result.stderr


def test_check_a_broken_definition_lists_every_problem(
    write_definition: Callable[[dict[str, Any]], Path],
) -> None:
    document = minimal_definition(
        [
            {"id": "age", "type": "integer", "label": "年龄", "constraint": ". >= 0 and"},
            {"id": "name", "type": "text", "label": "姓名", "relevant": "${agee} > 3"},
            {"id": "a", "type": "calculate", "calculation": "${b} + 1"},
            {"id": "b", "type": "calculate", "calculation": "${a} * 2"},
            {"id": "name", "type": "yes_no", "label": "重复"},
        ]
    )
    path = write_definition(document)
    result = childdesk("questionnaire", "check", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}: invalid questionnaire definition (4 problems):"
    assert lines[1:] == [
        "  - items[4]: duplicate id 'name' (already used at items[1])",
        "  - age.constraint: syntax error: the expression ends too early in `. >= 0 and`",
        "  - name.relevant: refers to unknown field ${agee} (did you mean ${age}?) in "
        "`${agee} > 3`",
        "  - a: calculation cycle: a (calculation uses ${b}) → b (calculation uses ${a}) → a",
    ]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the file: No such file or directory"),
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes"),
        ("[]", "(top level): [] is not of type 'object'"),
        ('{"format": "childdesk-questionnaire/1"}', "(top level): 'id' is a required property"),
    ],
)
def test_check_unreadable_files(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "definition.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = childdesk("questionnaire", "check", str(path))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_template_lists_questions_choices_and_scores(tmp_path: Path) -> None:
    result = childdesk("questionnaire", "template", "@default")
    assert result.returncode == 0, result.stderr
    template = json.loads(result.stdout)
    assert template["definition"]["id"] == "guardianship_capacity"
    meals = template["questions"]["ph_meals"]
    assert meals["label"] == "儿童一日三餐的情况"
    assert meals["choices"][0] == {
        "value": "regular",
        "label": "按时吃饭，饭菜基本有荤有素",
        "score": 3,
    }
    assert template["questions"]["g_age"]["score"].startswith("if(")
    assert template["questions"]["ph_insurance"]["choices"][0]["score"] == 3
    assert template["answers"]["guardians"] == [
        {
            "g_relation": None,
            "g_situation": None,
            "g_care": None,
            "g_age": None,
            "g_health": None,
            "g_mental": None,
            "g_education": None,
            "g_willingness": None,
        }
    ]
    out = tmp_path / "template.json"
    written = childdesk("questionnaire", "template", "@default", "-o", str(out))
    assert written.returncode == 0
    assert json.loads(out.read_text(encoding="utf-8")) == template


def test_a_filled_template_can_be_scored(tmp_path: Path) -> None:
    template = json.loads(childdesk("questionnaire", "template", "@default").stdout)
    template["answers"] = json.loads(Path(BEST).read_text(encoding="utf-8"))
    filled = tmp_path / "filled.json"
    filled.write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")
    result = childdesk("questionnaire", "score", "@default", str(filled), "--today", TODAY_TEXT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["level"] == "green"
    template["definition"]["version"] = "0.9"
    filled.write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")
    result = childdesk("questionnaire", "score", "@default", str(filled))
    assert result.returncode == 1
    assert "prepared for guardianship_capacity 0.9, not guardianship_capacity 1.1.0" in (
        result.stderr
    )


def test_score_best_and_worst_case() -> None:
    best = childdesk("questionnaire", "score", "@default", BEST, "--today", TODAY_TEXT)
    assert best.returncode == 0, best.stderr
    result = json.loads(best.stdout)
    assert result["level"] == "green"
    assert result["definition"] == {"id": "guardianship_capacity", "version": "1.1.0"}
    assert result["assessed_on"] == TODAY_TEXT
    assert {s["id"]: s["percent"] for s in result["sections"]}["child_safety"] == 100.0
    assert result["fired_rules"] == []
    assert result["recommendations"]

    worst = childdesk("questionnaire", "score", "@default", WORST, "--today", TODAY_TEXT)
    assert worst.returncode == 0, worst.stderr
    result = json.loads(worst.stdout)
    assert result["level"] == "red" and result["mandatory_report"] is True
    assert "abuse_confirmed" in [r["id"] for r in result["fired_rules"]]


def test_score_bad_answers_gives_a_precise_list(tmp_path: Path) -> None:
    answers = json.loads(Path(BEST).read_text(encoding="utf-8"))
    answers.update(colour="red", ph_meals="sometimes", in_monthly_per_capita=-5)
    answers["guardians"][0]["g_age"] = "forty"
    del answers["lv_bed"]
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    result = childdesk("questionnaire", "score", "@default", str(path), "--today", TODAY_TEXT)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}: answers refused (5 problems):",
        "  - colour: unknown field 'colour': no question has this id in guardianship_capacity "
        "1.1.0",
        "  - ph_meals: 'sometimes' is not one of the choices (regular, simple, irregular, hungry, "
        "food_withheld)",
        "  - guardians[0].g_age: expected a whole number, got the text 'forty'",
        "  - in_monthly_per_capita: -5 fails the constraint `. >= 0 and . <= 100000` "
        "(请填写0至100000之间的金额（元）。)",
        "  - lv_bed: required question not answered: 儿童的睡眠条件",
    ]
    as_json = childdesk("questionnaire", "score", "@default", str(path), "--json")
    assert as_json.returncode == 1
    codes = [e["code"] for e in json.loads(as_json.stdout)["errors"]]
    assert codes == ["unknown_field", "invalid_choice", "wrong_type", "constraint", "required"]


def test_score_notes_answers_that_are_not_relevant(tmp_path: Path) -> None:
    answers = json.loads(Path(BEST).read_text(encoding="utf-8"))
    answers["ph_vaccination"] = "complete"  # the child is 10
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = childdesk("questionnaire", "score", "@default", str(path), "--today", TODAY_TEXT)
    assert result.returncode == 0
    assert "note: ph_vaccination: answered but not relevant here; not scored" in result.stderr


def test_score_with_a_broken_definition_or_answers_file(
    tmp_path: Path, write_definition: Callable[[dict[str, Any]], Path]
) -> None:
    broken = write_definition(minimal_definition([{"id": "x", "type": "text"}]))
    result = childdesk("questionnaire", "score", str(broken), BEST)
    assert result.returncode == 1
    assert "x: 'label' is a required property" in result.stderr
    not_json = tmp_path / "answers.json"
    not_json.write_text("{'a': 1}", encoding="utf-8")
    result = childdesk("questionnaire", "score", "@default", str(not_json))
    assert result.returncode == 1
    assert "not valid JSON" in result.stderr
    result = childdesk("questionnaire", "score", "@default", str(tmp_path / "none.json"))
    assert result.returncode == 1
    assert "cannot read the file: No such file or directory" in result.stderr
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    result = childdesk("questionnaire", "score", "@default", str(listed))
    assert "answers must be a JSON object, got a list" in result.stderr


def test_usage_errors_exit_2() -> None:
    result = childdesk("questionnaire")
    assert result.returncode == 2
    assert "ACTION" in result.stderr
    result = childdesk("questionnaire", "score", "@default", BEST, "--today", "2026-13-01")
    assert result.returncode == 2
    assert "not a date in the form YYYY-MM-DD: '2026-13-01'" in result.stderr


class TestInProcess:
    def test_check(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["questionnaire", "check", "@default"]) == 0
        assert "guardianship_capacity 1.1.0" in capsys.readouterr().out

    def test_score(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["questionnaire", "score", "@default", WORST, "--today", TODAY_TEXT]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["level"] == "red"

    def test_template(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["questionnaire", "template", "@default"]) == 0
        assert "ph_meals" in json.loads(capsys.readouterr().out)["questions"]

    def test_broken(
        self, capsys: pytest.CaptureFixture[str], write_definition: Callable[..., Path]
    ) -> None:
        path = write_definition(
            minimal_definition(
                [{"id": "q", "type": "text", "label": "Q", "relevant": "count-selected()"}]
            )
        )
        assert main(["questionnaire", "check", str(path)]) == 1
        err = capsys.readouterr().err
        assert "q.relevant: count-selected() takes 1 argument, not 0" in err
