"""muyun.accounts: roles, and a login throttle kept in the store (finding 4 of issue 10)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import bcrypt
import pytest

from muyun import accounts, audit, db, labels
from muyun.accounts import ROLE_ADMIN, ROLE_CLERK, Account, LoginRefused

PASSWORD = "正确的密码-2024"
T0 = datetime(2026, 11, 1, 9, 0, 0)


@pytest.fixture
def store(tmp_path: Path) -> db.Database:
    database = db.Database(tmp_path / "accounts.duckdb")
    accounts.create_account(database, "Zhang.San", PASSWORD, ROLE_ADMIN, "张三")
    yield database
    database.close()


def attempts(store: db.Database) -> int:
    return store.reader().execute("SELECT count(*) FROM login_attempts").fetchall()[0][0]


def fail(store: db.Database, username: str, client: str, at: datetime) -> LoginRefused:
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate(store, username, "wrong-password", client, now=at)
    return refused.value


def test_right_password_logs_in_case_insensitively(store: db.Database) -> None:
    account = accounts.authenticate(store, " zhang.san ", PASSWORD, "10.0.0.1", now=T0)
    assert account == Account("zhang.san", "张三", ROLE_ADMIN)
    assert attempts(store) == 1


def test_wrong_password_and_unknown_user_get_the_same_message(store: db.Database) -> None:
    wrong = fail(store, "zhang.san", "10.0.0.1", T0)
    unknown = fail(store, "li.si", "10.0.0.2", T0)
    assert wrong.message == unknown.message == labels.ACCOUNT_TEXT["wrong"]
    assert attempts(store) == 2


def test_failures_per_account_survive_a_new_session_and_the_delay_grows(
    store: db.Database,
) -> None:
    """The old lockout lived in the browser session: reload = five more tries."""
    free = accounts.FREE_FAILURES_PER_ACCOUNT
    for i in range(free - 1):
        assert fail(store, "zhang.san", f"10.0.1.{i}", T0).retry_after_s == 0
    last = fail(store, "zhang.san", "10.0.2.1", T0)
    assert last.retry_after_s == pytest.approx(accounts.BASE_DELAY_S)
    # Even the right password, from another address ("a new tab"), waits now — unchecked.
    before = attempts(store)
    with pytest.raises(LoginRefused) as throttled:
        accounts.authenticate(store, "zhang.san", PASSWORD, "10.9.9.9", now=T0)
    assert throttled.value.retry_after_s > 0
    assert "秒后再试" in throttled.value.message
    assert attempts(store) == before
    # Each further failure doubles the wait.
    waits = []
    at = T0
    for _ in range(3):
        at += timedelta(seconds=accounts.MAX_DELAY_S)
        waits.append(fail(store, "zhang.san", "10.0.3.1", at).retry_after_s)
    assert waits == sorted(waits) and waits[1] == pytest.approx(2 * waits[0])
    # After the wait the right password works and ends the streak.
    at += timedelta(seconds=waits[-1] + 1)
    assert accounts.authenticate(store, "zhang.san", PASSWORD, "10.0.3.1", now=at)
    assert fail(store, "zhang.san", "10.0.3.1", at).retry_after_s == 0


def test_one_client_address_is_limited_across_user_names(store: db.Database) -> None:
    for i in range(accounts.FREE_FAILURES_PER_CLIENT):
        fail(store, f"guess{i}", "203.0.113.7", T0)
    with pytest.raises(LoginRefused) as throttled:
        accounts.authenticate(store, "zhang.san", PASSWORD, "203.0.113.7", now=T0)
    assert throttled.value.retry_after_s > 0
    # Another address is not affected.
    assert accounts.authenticate(store, "zhang.san", PASSWORD, "198.51.100.1", now=T0)


def test_parallel_guessing_from_four_tabs_is_capped(store: db.Database) -> None:
    """131 guesses in 62 s from four tabs: now the store serialises and throttles them."""
    checked: list[bool] = []

    def guess() -> None:
        for _ in range(10):
            try:
                accounts.authenticate(store, "zhang.san", "guess", "198.51.100.2")
            except LoginRefused as refused:
                checked.append(refused.retry_after_s == 0 or "秒后再试" not in refused.message)

    tabs = [threading.Thread(target=guess) for _ in range(4)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert len(checked) == 40
    # Only the free failures plus at most the first throttled one were actually checked.
    assert attempts(store) <= accounts.FREE_FAILURES_PER_ACCOUNT + 1


def test_long_passphrase_account(store: db.Database) -> None:
    passphrase = "永康五金之都亩均论英雄" * 3
    accounts.create_account(store, "wang", passphrase, ROLE_CLERK, "王五")
    assert accounts.authenticate(store, "wang", passphrase, "x", now=T0).role == ROLE_CLERK


def test_legacy_bcrypt_hash_is_carried_over_and_upgraded(store: db.Database) -> None:
    legacy = bcrypt.hashpw(b"old-admin-password", bcrypt.gensalt(rounds=4)).decode()
    accounts.create_account(store, "admin", "", ROLE_ADMIN, "管理员", password_hash=legacy)
    assert accounts.authenticate(store, "admin", "old-admin-password", "x", now=T0)
    stored = (
        store.reader()
        .execute("SELECT password_hash FROM accounts WHERE username = 'admin'")
        .fetchall()[0][0]
    )
    assert stored.startswith("$argon2id$")
    assert accounts.authenticate(store, "admin", "old-admin-password", "x", now=T0)


@pytest.mark.parametrize(
    ("username", "password", "role", "name"),
    [
        ("zhang.san", PASSWORD, ROLE_ADMIN, "重名"),
        ("a", PASSWORD, ROLE_ADMIN, "太短"),
        ("bad name", PASSWORD, ROLE_ADMIN, "空格"),
        ("ok", PASSWORD, "局长", "未知角色"),
        ("ok", "short", ROLE_ADMIN, "短密码"),
        ("ok", PASSWORD, ROLE_ADMIN, "控制\x1b字符"),
        ("ok", PASSWORD, ROLE_ADMIN, ""),
    ],
)
def test_bad_accounts_are_refused_in_chinese(
    store: db.Database, username: str, password: str, role: str, name: str
) -> None:
    with pytest.raises(accounts.AccountError) as refused:
        accounts.create_account(store, username, password, role, name)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message)


def test_permissions_by_role() -> None:
    admin = Account("a", "甲", ROLE_ADMIN)
    clerk = Account("b", "乙", ROLE_CLERK)
    for action in ("import", "edit_list", "save_scenario", "run_cycle", "review_objection"):
        assert accounts.can(admin, action)
    assert accounts.can(clerk, "review_objection")
    for action in ("import", "edit_list", "save_scenario", "run_cycle", "anything-else"):
        assert not accounts.can(clerk, action)
        assert not accounts.can(None, action)


def test_read_only_store_refuses_logins(store: db.Database, tmp_path: Path) -> None:
    store.close()
    reader = db.Database(tmp_path / "accounts.duckdb", read_only=True)
    try:
        with pytest.raises(LoginRefused) as refused:
            accounts.authenticate(reader, "zhang.san", PASSWORD, "x")
        assert refused.value.message == labels.ACCOUNT_TEXT["read_only"]
    finally:
        reader.close()


def test_cli_adds_an_account_with_the_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from muyun.cli import main

    path = tmp_path / "cli.duckdb"
    passphrase = "这是一个超过七十二字节的很长的中文口令用来测试不再崩溃的情况好的"
    assert len(passphrase.encode()) > 72
    monkeypatch.setenv("MUYUN_NEW_PASSWORD", passphrase)
    args = ["account", "add", "--db", str(path), "--username", "zhang", "--name", "张三"]
    assert main([*args, "--role", ROLE_ADMIN]) == 0
    assert "已创建账号：zhang（张三，管理员）" in capsys.readouterr().out
    assert main([*args, "--role", ROLE_ADMIN]) == 1
    assert "已存在" in capsys.readouterr().err
    assert main(["account", "list", "--db", str(path)]) == 0
    assert capsys.readouterr().out.split() == ["zhang", "张三", ROLE_ADMIN]
    store = db.Database(path)
    try:
        assert accounts.authenticate(store, "zhang", passphrase, "x").display_name == "张三"
        # The new account is in the audit chain (who, role), its password is not.
        log = audit.log_frame(store.reader())
        assert log["action"].tolist() == [labels.AUDIT_CHECK_TEXT["act_account_created"]]
        assert log["subject"].iloc[0] == "zhang" and log["actor"].iloc[0].startswith("cli:")
        assert ROLE_ADMIN in log["after_json"].iloc[0]
        assert passphrase not in log.to_string() and "argon2" not in log.to_string()
        assert audit.verify(store.reader()) == []
    finally:
        store.close()


def test_cli_carries_over_the_legacy_bcrypt_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from muyun.cli import main

    legacy = bcrypt.hashpw(b"old-admin-password", bcrypt.gensalt(rounds=4)).decode()
    monkeypatch.setenv("MUYUN_ADMIN_PASSWORD_HASH", legacy)
    path = tmp_path / "legacy.duckdb"
    args = ["account", "add", "--db", str(path), "--username", "admin", "--name", "管理员"]
    assert main([*args, "--role", ROLE_ADMIN, "--legacy-hash"]) == 0
    store = db.Database(path)
    try:
        assert accounts.authenticate(store, "admin", "old-admin-password", "x").role == ROLE_ADMIN
    finally:
        store.close()


def test_client_address_believes_forwarded_for_only_from_a_trusted_proxy() -> None:
    proxies = accounts.trusted_proxies({accounts.TRUSTED_PROXIES_ENV: " 10.0.0.1, 10.0.0.2 "})
    assert proxies == {"10.0.0.1", "10.0.0.2"}
    # Behind the proxy: the visitor's own address, skipping proxy hops and spoofed left entries.
    assert accounts.client_address("10.0.0.1", "1.2.3.4, 5.6.7.8, 10.0.0.2", proxies) == "5.6.7.8"
    # Anybody else's header is ignored (it would let a guesser dodge the throttle).
    assert accounts.client_address("9.9.9.9", "1.2.3.4", proxies) == "9.9.9.9"
    assert accounts.client_address("10.0.0.1", None, proxies) == "10.0.0.1"
    assert accounts.client_address("10.0.0.1", "1.2.3.4", frozenset()) == "10.0.0.1"


def test_cli_account_on_the_default_store_builds_the_demo_city_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first command on a fresh machine must not leave an empty store for the app to serve."""
    from muyun.cli import main

    default = tmp_path / "data" / "muyun.duckdb"
    monkeypatch.setattr(db, "DEFAULT_DB_PATH", default)
    monkeypatch.delenv("MUYUN_DB", raising=False)
    monkeypatch.setenv("MUYUN_NEW_PASSWORD", PASSWORD)
    args = ["account", "add", "--username", "zhang", "--name", "张三", "--role", ROLE_ADMIN]
    assert main(args) == 0
    assert str(default) in capsys.readouterr().out
    store = db.Database(default)
    try:
        firms = store.reader().execute("SELECT count(*) FROM enterprises").fetchall()[0][0]
        assert firms > 1000
        assert accounts.get_account(store.reader(), "zhang") is not None
    finally:
        store.close()
