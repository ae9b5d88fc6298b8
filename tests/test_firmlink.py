"""muyun.firmlink: tokens (every kind of bad one refused alike), throttling, revoke/reissue, the
firms' actions through their links (50 at once), the read status and the towns' Excel list."""

from __future__ import annotations

import io
import shutil
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from muyun import audit, evaluation, firmlink, labels
from muyun.accounts import ROLE_ADMIN, ROLE_CLERK, Account
from muyun.db import Database
from muyun.profile import profile_path

SECRET = b"k" * 40
ADMIN = Account("boss", "局长", ROLE_ADMIN)
BASE = "https://muyun.example.gov.cn"
YEAR = 2024


def _now() -> datetime:
    return datetime.now().replace(microsecond=0) - timedelta(hours=8)  # any naive UTC-ish time


def _create_run(db: Database, year: int = YEAR) -> int:
    toml = profile_path("yongkang-default").read_text(encoding="utf-8")
    run_id = evaluation.create_run(db, year, toml, profile_id="yongkang-default", actor=ADMIN)
    evaluation.start_confirmation(db, run_id, actor=ADMIN)
    return run_id


@pytest.fixture(scope="module")
def run_db_path(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city with two runs (2024 in 数据确认, 2023 in 数据确认), built once."""
    path = tmp_path_factory.mktemp("firmlink") / "runs.duckdb"
    shutil.copy(demo_db_path, path)
    db = Database(path)
    try:
        assert _create_run(db, YEAR) == 1
        assert _create_run(db, YEAR - 1) == 2
    finally:
        db.close()
    return path


@pytest.fixture
def db(run_db_path: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "runs.duckdb"
    shutil.copy(run_db_path, path)
    database = Database(path)
    yield database
    database.close()


def _issue(db: Database, run_id: int = 1, days: int = 30) -> dict[str, str]:
    """Links for every firm of the run; credit code → token."""
    firmlink.issue_missing(
        db, run_id, expires_at=datetime.now() + timedelta(days=days), actor=ADMIN
    )
    links = firmlink.live_links(db.reader(), run_id, secret=SECRET, base_url=BASE)
    prefix = f"{BASE}/?{firmlink.TOKEN_PARAM}="
    assert links["link"].str.startswith(prefix).all()
    return {
        code: link[len(prefix) :]
        for code, link in zip(links["credit_code"], links["link"], strict=True)
    }


def _row(db: Database, token: str) -> tuple:
    key = token.split(".")[0]
    return (
        db.reader()
        .execute(
            "SELECT run_id, credit_code, version, expires_at FROM firm_links WHERE link_key = ?",
            [key],
        )
        .fetchall()[0]
    )


def _resign(token: str, *, run_id: int, code: str, version: int) -> str:
    """The same key and expiry, validly signed with the real secret for another run or firm."""
    key, expiry, _ = token.split(".")
    fake = firmlink.make_token(
        SECRET,
        run_id=run_id,
        credit_code=code,
        key=key,
        version=version,
        expires_at=datetime.strptime(expiry, "%Y%m%d%H%M%S"),
    )
    assert fake != token
    return fake


def test_secret_comes_from_env_or_secrets_and_must_be_long(monkeypatch) -> None:
    monkeypatch.delenv(firmlink.SECRET_ENV, raising=False)
    assert firmlink.configured_secret({}) is None
    assert firmlink.configured_secret({"link_secret": "short"}) is None
    assert firmlink.configured_secret({"link_secret": "s" * 32}) == b"s" * 32
    monkeypatch.setenv(firmlink.SECRET_ENV, "e" * 40)
    assert firmlink.configured_secret({"link_secret": "s" * 32}) == b"e" * 40


def test_every_firm_gets_a_working_link_bound_to_itself(db: Database) -> None:
    tokens = _issue(db)
    firms = firmlink.run_firms(db.reader(), 1)
    assert set(tokens) == set(firms["credit_code"])
    for code, token in list(tokens.items())[:25]:
        access = firmlink.check(db, token, secret=SECRET, client="10.0.0.1")
        assert (access.run_id, access.credit_code, access.version) == (1, code, 1)
        assert access.actor == f"企业:{code}"
    # The token names neither the run nor the firm.
    code, token = next(iter(tokens.items()))
    assert code not in token
    # Generating again keeps the links already sent.
    assert (
        firmlink.issue_missing(db, 1, expires_at=datetime.now() + timedelta(days=9), actor=ADMIN)
        == 0
    )
    assert firmlink.check(db, token, secret=SECRET, client="10.0.0.1").credit_code == code


def test_every_kind_of_bad_token_is_refused_alike(db: Database) -> None:
    tokens = _issue(db)
    other_run = _issue(db, run_id=2)
    codes = [code for code in tokens if code in other_run]  # firms in both years
    x, y = codes[0], codes[1]
    good = tokens[x]
    run_id, code, version, expires_at = _row(db, good)
    key, expiry, signature = good.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    firmlink.revoke(db, 1, y, actor=ADMIN)
    bad = {
        "empty": "",
        "garbage": "not-a-token",
        "huge": "A" * 10_000,
        "tampered signature": f"{key}.{expiry}.{flipped}",
        "tampered key": f"{key[:-1]}{'A' if key[-1] != 'A' else 'B'}.{expiry}.{signature}",
        "tampered expiry": f"{key}.{int(expiry) + 1000000:014d}.{signature}",
        "wrong secret": good.rsplit(".", 1)[0]
        + "."
        + firmlink.make_token(
            b"w" * 40,
            run_id=run_id,
            credit_code=code,
            key=key,
            version=version,
            expires_at=expires_at,
        ).rsplit(".", 1)[1],
        "revoked": tokens[y],
        "other run": _resign(good, run_id=2, code=x, version=version),
        "other firm": _resign(good, run_id=1, code=y, version=version),
        "other version": _resign(good, run_id=1, code=x, version=version + 1),
    }
    for kind, token in bad.items():
        with pytest.raises(firmlink.LinkRefused) as refused:
            firmlink.check(db, token, secret=SECRET, client=f"c-{kind}")
        assert not refused.value.throttled, kind
        assert str(refused.value) == "refused", kind
    # Expired: the same valid token a second after its end.
    with pytest.raises(firmlink.LinkRefused):
        firmlink.check(
            db, good, secret=SECRET, client="c-exp", now=expires_at + timedelta(seconds=1)
        )
    # The good tokens still work; the other run's token opens the other run only.
    assert firmlink.check(db, good, secret=SECRET, client="c").run_id == 1
    assert firmlink.check(db, other_run[x], secret=SECRET, client="c").run_id == 2


def test_failures_are_throttled_per_client_in_the_store(db: Database) -> None:
    tokens = _issue(db)
    good = next(iter(tokens.values()))
    now = datetime.now(tz=None).replace(microsecond=0)
    for i in range(firmlink.MAX_FAILURES_PER_CLIENT):
        with pytest.raises(firmlink.LinkRefused) as refused:
            firmlink.check(db, f"guess{i}", secret=SECRET, client="6.6.6.6", now=now)
        assert not refused.value.throttled
    # Now even a valid token from that address is refused without being looked at …
    with pytest.raises(firmlink.LinkRefused) as refused:
        firmlink.check(db, good, secret=SECRET, client="6.6.6.6", now=now)
    assert refused.value.throttled
    # … while other addresses are unaffected, and the address recovers after the window.
    assert firmlink.check(db, good, secret=SECRET, client="7.7.7.7", now=now)
    later = now + firmlink.FAILURE_WINDOW + timedelta(seconds=1)
    assert firmlink.check(db, good, secret=SECRET, client="6.6.6.6", now=later)


def test_revoke_stops_a_link_at_once_and_reissue_replaces_it(db: Database) -> None:
    tokens = _issue(db)
    code, token = next(iter(tokens.items()))
    access = firmlink.check(db, token, secret=SECRET, client="c")
    assert firmlink.revoke(db, 1, code, actor=ADMIN) == 1
    with pytest.raises(firmlink.LinkRefused):
        firmlink.check(db, token, secret=SECRET, client="c")
    # An action prepared before the revocation is refused too.
    with pytest.raises(firmlink.LinkRefused):
        firmlink.confirm_sheet(db, access, disputed_fields=[], comment="", evidence=None)
    assert (
        firmlink.reissue(db, 1, code, expires_at=datetime.now() + timedelta(days=5), actor=ADMIN)
        == 2
    )
    new = _issue(db)[code]
    assert new != token
    assert firmlink.check(db, new, secret=SECRET, client="c").version == 2
    with pytest.raises(firmlink.LinkRefused):
        firmlink.check(db, token, secret=SECRET, client="c")
    status = firmlink.read_status(db.reader(), 1).set_index("credit_code")
    assert status.loc[code, "link_state"] == labels.FIRMLINK_STATES["live"]
    with pytest.raises(firmlink.LinkError):
        firmlink.revoke(db, 1, "000000000000000000", actor=ADMIN)
    with pytest.raises(firmlink.LinkError):
        firmlink.issue_missing(db, 1, expires_at=datetime.now() - timedelta(days=400), actor=ADMIN)


def test_only_an_administrator_manages_links_whatever_the_page_shows(db: Database) -> None:
    clerk = Account("li", "李经办", ROLE_CLERK)
    code = firmlink.run_firms(db.reader(), 1)["credit_code"].iloc[0]
    until = datetime.now() + timedelta(days=5)
    with pytest.raises(firmlink.LinkError, match="无权"):
        firmlink.issue_missing(db, 1, expires_at=until, actor=clerk)
    with pytest.raises(firmlink.LinkError, match="无权"):
        firmlink.issue_missing(db, 1, expires_at=until, actor="boss")  # type: ignore[arg-type]
    assert firmlink.live_link_count(db.reader(), 1) == 0
    _issue(db)
    with pytest.raises(firmlink.LinkError, match="无权"):
        firmlink.revoke(db, 1, code, actor=clerk)
    with pytest.raises(firmlink.LinkError, match="无权"):
        firmlink.reissue(db, 1, code, expires_at=until, actor=clerk)
    status = firmlink.read_status(db.reader(), 1).set_index("credit_code")
    assert status.loc[code, "link_state"] == labels.FIRMLINK_STATES["live"]


def test_fifty_firms_confirming_at_once_lose_nothing(db: Database) -> None:
    tokens = _issue(db)
    chosen = list(tokens.items())[:50]
    barrier = threading.Barrier(len(chosen))
    errors: list[BaseException] = []
    elapsed: list[float] = []

    def firm(code: str, token: str, index: int) -> None:
        try:
            access = firmlink.check(db, token, secret=SECRET, client=f"10.1.0.{index}")
            firmlink.record_event(db, access, firmlink.EVENT_OPENED)
            barrier.wait()
            start = time.perf_counter()
            disputed = ["tax"] if index % 2 else []
            firmlink.confirm_sheet(
                db, access, disputed_fields=disputed, comment=f"说明{index}", evidence=None
            )
            elapsed.append(time.perf_counter() - start)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=firm, args=(code, token, i))
        for i, (code, token) in enumerate(chosen)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    assert errors == []
    con = db.reader()
    answers = dict(
        con.execute(
            "SELECT credit_code, answer FROM eval_confirmations WHERE run_id = 1"
        ).fetchall()
    )
    assert len(answers) == 50
    for index, (code, _) in enumerate(chosen):
        assert answers[code] == (
            firmlink.ANSWER_DISPUTED if index % 2 else firmlink.ANSWER_CONFIRMED
        )
    status = firmlink.read_status(con, 1).set_index("credit_code").loc[[c for c, _ in chosen]]
    assert int(status["confirmed_at"].notna().sum()) == 25
    assert int(status["disputed_at"].notna().sum()) == 25
    assert (status["opened_count"] == 1).all()
    assert audit.verify(con) == []
    actors = con.execute(
        "SELECT DISTINCT actor FROM audit_log WHERE action = ?", [labels.EVAL_TEXT["act_confirm"]]
    ).fetchall()
    assert {a[0] for a in actors} == {f"企业:{c}" for c, _ in chosen}
    print(f"\n50 simultaneous confirmations: {wall:.2f} s wall, slowest {max(elapsed):.3f} s")


def test_an_answer_and_its_link_event_commit_together_or_not_at_all(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = _issue(db)
    (x, tx), (y, ty) = list(tokens.items())[:2]
    access = firmlink.check(db, tx, secret=SECRET, client="c")
    con = db.reader()

    def counts(code: str) -> tuple[int, int, int]:
        return tuple(
            con.execute(sql, [code]).fetchall()[0][0]
            for sql in (
                "SELECT count(*) FROM eval_confirmations WHERE run_id = 1 AND credit_code = ?",
                "SELECT count(*) FROM firm_link_events WHERE run_id = 1 AND credit_code = ? "
                "AND event IN ('confirmed', 'disputed')",
                "SELECT count(*) FROM audit_log WHERE run_id = 1 AND subject = ?",
            )
        )

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(firmlink, "_insert_event", broken)
    with pytest.raises(OSError):
        firmlink.confirm_sheet(db, access, disputed_fields=[], comment="", evidence=None)
    assert counts(x) == (0, 0, 0)  # the answer and its audit row were rolled back with it
    monkeypatch.undo()
    firmlink.confirm_sheet(db, access, disputed_fields=["tax"], comment="有误", evidence=None)
    assert counts(x) == (1, 1, 1)
    # Revoked after the page was drawn: the click is refused and nothing at all is written.
    late = firmlink.check(db, ty, secret=SECRET, client="c")
    firmlink.revoke(db, 1, y, actor=ADMIN)
    with pytest.raises(firmlink.LinkRefused):
        firmlink.confirm_sheet(db, late, disputed_fields=[], comment="", evidence=None)
    assert counts(y)[:2] == (0, 0)
    assert audit.verify(con) == []


def test_read_status_counts_a_firm_once_with_its_times(db: Database) -> None:
    tokens = _issue(db)
    (x, tx), (y, _) = list(tokens.items())[:2]
    access = firmlink.check(db, tx, secret=SECRET, client="c")
    t0 = datetime(2026, 3, 1, 8, 0)
    for hours in (0, 5, 2):
        firmlink.record_event(db, access, firmlink.EVENT_REPORT, now=t0 + timedelta(hours=hours))
    status = firmlink.read_status(db.reader(), 1)
    row = status.set_index("credit_code").loc[x]
    assert row["report_count"] == 3
    assert row["report_first"] == t0
    assert row["report_last"] == t0 + timedelta(hours=5)
    assert status.set_index("credit_code").loc[y, "report_count"] == 0
    town = str(row["town"])
    table = firmlink.summary(status, "town").set_index("town")
    assert table.loc[town, "report"] == 1
    assert table["report"].sum() == 1
    industry = firmlink.summary(status, "industry").set_index("industry")
    assert industry["report"].sum() == 1
    unread = firmlink.unread(status)
    assert x not in set(unread["credit_code"]) and y in set(unread["credit_code"])
    assert len(unread) == len(status) - 1
    log = audit.log_frame(db.reader(), 1)
    reports = log.loc[log["action"] == "firm_link_report"]
    assert len(reports) == 3 and set(reports["actor"]) == {f"企业:{x}"}


def test_objection_through_the_link_lands_in_the_review_queue(db: Database) -> None:
    tokens = _issue(db)
    code, token = next(iter(tokens.items()))
    access = firmlink.check(db, token, secret=SECRET, client="c")
    with pytest.raises(evaluation.EvaluationError):  # not during 数据确认
        firmlink.file_objection(db, access, grounds="税收数据有误", evidence=None)
    evaluation.start_notice(db, 1, start=datetime.now().date(), days=7, actor=ADMIN)
    objection_id = firmlink.file_objection(db, access, grounds="税收数据有误", evidence=None)
    queue = evaluation.objections(db.reader(), 1).set_index("id")
    assert queue.loc[objection_id, "credit_code"] == code
    assert queue.loc[objection_id, "channel"] == firmlink.OBJECTION_CHANNEL
    assert queue.loc[objection_id, "registered_by"] == f"企业:{code}"
    assert firmlink.firm_objection_count(db.reader(), access) == 1
    status = firmlink.read_status(db.reader(), 1).set_index("credit_code")
    assert status.loc[code, "objected_count"] == 1
    # Revoked between the page run and the click: neither the objection nor its event is kept.
    firmlink.revoke(db, 1, code, actor=ADMIN)
    with pytest.raises(firmlink.LinkRefused):
        firmlink.file_objection(db, access, grounds="再次异议", evidence=None)
    assert firmlink.firm_objection_count(db.reader(), access) == 1
    status = firmlink.read_status(db.reader(), 1).set_index("credit_code")
    assert status.loc[code, "objected_count"] == 1


def _cells(data: bytes) -> list[list[object]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def test_the_towns_excel_list_is_complete_and_formula_safe(db: Database) -> None:
    code = firmlink.run_firms(db.reader(), 1)["credit_code"].iloc[0]
    hostile = '=HYPERLINK("http://evil.example","点我")'
    with db.write() as cur:
        cur.execute(
            "UPDATE eval_enterprises SET name = ? WHERE run_id = 1 AND credit_code = ?",
            [hostile, code],
        )
    tokens = _issue(db)
    links = firmlink.live_links(db.reader(), 1, secret=SECRET, base_url=BASE + "/")
    data = firmlink.links_xlsx(links)
    rows = _cells(data)
    header = rows[0]
    assert header == [
        labels.FIRMLINK_HEADERS[c]
        for c in ("name", "credit_code", "town", "industry", "link", "expires_at")
    ]
    assert len(rows) == len(tokens) + 1
    by_code = {row[1]: row for row in rows[1:]}
    assert by_code[code][0] == "'" + hostile
    assert by_code[code][4] == f"{BASE}/?{firmlink.TOKEN_PARAM}={tokens[code]}"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
        assert "<f>" not in sheet and "hyperlink" not in sheet.lower()
    status = firmlink.status_xlsx(firmlink.read_status(db.reader(), 1))
    assert _cells(status)[0][0] == labels.FIRMLINK_HEADERS["credit_code"]
    with pytest.raises(firmlink.LinkError):
        firmlink.normalise_base_url("javascript:alert(1)")


def test_token_check_cost(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    token = next(iter(_issue(db).values()))
    runs = 300
    start = time.perf_counter()
    for _ in range(runs):
        firmlink.check(db, token, secret=SECRET, client="c")
    ok_ms = (time.perf_counter() - start) / runs * 1000
    start = time.perf_counter()
    for i in range(firmlink.MAX_FAILURES_PER_CLIENT):
        with pytest.raises(firmlink.LinkRefused):
            firmlink.check(db, f"x{i}", secret=SECRET, client="d")
    bad_ms = (time.perf_counter() - start) / firmlink.MAX_FAILURES_PER_CLIENT * 1000
    with capsys.disabled():
        print(f"\ntoken check: valid {ok_ms:.2f} ms, refused (recorded) {bad_ms:.2f} ms")
