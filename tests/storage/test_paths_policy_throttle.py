"""Where vaults live, the password rules and the unlock throttle."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.password_policy import password_problems, password_strength
from storage.paths import ENV_DATA_DIR, resolve_data_dir
from storage.unlock_throttle import UnlockThrottle


def test_data_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    default = resolve_data_dir(None)
    assert "childdesk" in str(default)
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "env"))
    assert resolve_data_dir(None) == tmp_path / "env"
    assert resolve_data_dir(str(tmp_path / "flag")) == tmp_path / "flag"


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("x7#q", {"too_short"}),
        ("abc12", {"too_short", "common"}),
        ("12345678", {"sequential", "common"}),
        ("87654321", {"sequential", "common"}),
        ("abcdefghij", {"sequential"}),
        ("qwertyuiop", {"sequential", "common"}),
        ("aaaaaaaaaa", {"all_same"}),
        ("woaini1314", {"common"}),
        ("5201314520", {"common"}),
        ("PASSWORD1", {"common"}),
        ("wangxiuying88", {"contains_name"}),
        ("我是王秀英啊啊啊", {"contains_name"}),
        ("mybirthday19800315", {"contains_id"}),
        ("500101198003154321", {"contains_id"}),
        ("门前有棵老槐树2008", set()),
        ("green-hills-far-away", set()),
    ],
)
def test_password_rules(password: str, codes: set[str]) -> None:
    problems = password_problems(password, director_name="王秀英", id_number="500101198003154321")
    assert {p.code for p in problems} == codes
    assert all(p.message_zh for p in problems)


def test_strength_hint_encourages_longer_phrases() -> None:
    weak = password_strength("abcd1234")
    strong = password_strength("my grandmother's orange cat sleeps at noon")
    assert weak.score < strong.score
    assert "建议" in weak.advice_zh
    assert strong.label_zh in ("强", "很强")


def test_throttle_grows_after_three_failures() -> None:
    now = [100.0]
    throttle = UnlockThrottle(clock=lambda: now[0])
    delays = [throttle.record_failure() for _ in range(6)]
    assert delays == [0.0, 0.0, 0.0, 2.0, 4.0, 8.0]
    assert throttle.seconds_to_wait() == 8.0
    now[0] += 5
    assert throttle.seconds_to_wait() == 3.0
    for _ in range(20):
        throttle.record_failure()
    assert throttle.seconds_to_wait() == 60.0
    throttle.record_success()
    assert throttle.seconds_to_wait() == 0.0 and throttle.failures == 0
