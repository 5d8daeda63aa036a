"""``linli settings``: the table of every LINLI_* variable, generated from the declarations."""

from __future__ import annotations

import pytest

from assistant import settings_cli
from assistant.shared import config


def test_docs_settings_md_is_generated_from_the_code() -> None:
    assert settings_cli.DOC_PATH.read_text("utf-8") == settings_cli.markdown() + "\n", \
        "docs/settings.md is out of date: run `.venv/bin/linli settings --markdown > docs/settings.md`"


def test_every_variable_is_named_documented_and_unique() -> None:
    kiosk_side = [v.name for g in settings_cli.groups() if not g.source.startswith("community_services")
                  for v in g.variables]
    assert len(kiosk_side) == len(set(kiosk_side)), "a variable is declared twice on the kiosk side"
    for group in settings_cli.groups():
        for v in group.variables:
            assert v.name.startswith("LINLI_") and v.name.isupper(), v.name
            assert len(v.meaning) > 10, f"{v.name} needs a sentence for operators"


def test_every_declared_setting_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Declaring is enough: each variable reaches its field, parsed to the field's type."""
    samples = {"int": "7", "int | None": "7", "float": "2.5", "bool": "0", "str": "x", "str | None": "x",
               "Path": "/tmp/x", "Path | None": "/tmp/x"}
    for f in config.declared():
        monkeypatch.setenv(f.metadata["env"], samples[str(f.type)])
    values = config.from_environment()
    assert set(values) == {f.name for f in config.declared()}


def test_the_office_reads_the_variables_it_documents() -> None:
    from community_services.settings import VARIABLES, OfficeSettings

    env = {"LINLI_VAR_DIR": "/tmp/office", "LINLI_KIOSK_TOKEN": "k", "LINLI_STAFF_TOKEN": "s",
           "LINLI_MAP": "/tmp/map.yml", "LINLI_QR_KEY": "q" * 32,
           "LINLI_SERVICES_DB_URL": "sqlite:////tmp/office/other.db", "LINLI_CONSOLE_IDLE_MINUTES": "45"}
    escalation = {"LINLI_ESCALATE_AFTER_SECONDS": "90", "LINLI_SMTP_HOST": "mail.local", "LINLI_SMTP_PORT": "587",
                  "LINLI_SMTP_STARTTLS": "1", "LINLI_SMTP_USER": "duty", "LINLI_SMTP_PASSWORD": "pw",
                  "LINLI_SMTP_FROM": "linli@x", "LINLI_SMTP_TO": "a@x,b@x", "LINLI_ESCALATION_WEBHOOK": "http://h/x"}
    hook = {"LINLI_TEST_PAUSE_AFTER_COMMIT": "/api/v1/feedback=2"}
    kept = {"LINLI_RETENTION_DAYS": "14", "LINLI_IDEMPOTENCY_DAYS": "2"}
    network = {"LINLI_GUIDE_HOST": "0.0.0.0", "LINLI_GUIDE_PORT": "9443", "LINLI_TLS_CERT": "/tmp/c.pem",
               "LINLI_TLS_KEY": "/tmp/k.pem", "LINLI_ALLOW_PLAIN_HTTP": "1"}
    assert {*env, *escalation, *hook, *kept, *network} == set(VARIABLES)
    assert (OfficeSettings.from_env(kept).retention_days, OfficeSettings.from_env(kept).idempotency_days) == (14, 2)
    guide = OfficeSettings.from_env(network)
    assert (guide.guide_host, guide.guide_port, str(guide.tls_cert), str(guide.tls_key), guide.allow_plain_http) == \
        ("0.0.0.0", 9443, "/tmp/c.pem", "/tmp/k.pem", True)
    assert OfficeSettings.from_env(hook).pause_after_commit == ("/api/v1/feedback", 2.0)
    office = OfficeSettings.from_env({**env, **escalation})
    assert (str(office.var_dir), office.kiosk_token, office.staff_token, str(office.map_path), office.qr_key,
            office.database_url, str(office.console_idle_minutes)) == tuple(env.values())
    assert (office.escalate_after_seconds, office.smtp_host, office.smtp_port, office.smtp_starttls, office.smtp_user,
            office.smtp_password, office.smtp_from, office.smtp_to, office.escalation_webhook) == \
        (90.0, "mail.local", 587, True, "duty", "pw", "linli@x", ("a@x", "b@x"), "http://h/x")


def test_the_office_database_defaults_like_the_kiosk_side() -> None:
    from community_services.settings import OfficeSettings

    office = OfficeSettings.from_env({"LINLI_VAR_DIR": "/tmp/office"})
    assert office.database_url == "sqlite:////tmp/office/services.db"
    assert office.console_idle_minutes == 30
    kiosk_side = config.Settings(var_dir=office.var_dir, kiosk_token="k", staff_token="s")
    assert office.database_url == kiosk_side.services_db_url


@pytest.mark.parametrize("raw", ["soon", "0", "-5"])
def test_a_bad_idle_time_is_a_plain_error(raw: str) -> None:
    from community_services.settings import OfficeSettings

    with pytest.raises(ValueError, match="LINLI_CONSOLE_IDLE_MINUTES must be a whole number"):
        OfficeSettings.from_env({"LINLI_CONSOLE_IDLE_MINUTES": raw})


def test_secrets_are_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_STAFF_TOKEN", "very-secret-staff-token")
    monkeypatch.setenv("LINLI_HOST", "10.0.0.5")
    shown = settings_cli.current_values()
    assert "very-secret-staff-token" not in shown
    assert "10.0.0.5" in shown


@pytest.mark.parametrize(("raw", "expected"), [("yes", True), ("0", False), ("ON", True)])
def test_yes_and_no_words(raw: str, expected: bool) -> None:
    assert config.parse("LINLI_KIOSK_VOICE", raw, "bool") is expected


def test_a_wrong_yes_or_no_says_what_is_expected() -> None:
    with pytest.raises(config.ConfigError, match="LINLI_KIOSK_VOICE must be 1 or 0"):
        config.parse("LINLI_KIOSK_VOICE", "maybe", "bool")
