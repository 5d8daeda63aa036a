"""``linli doctor`` on a good and on a bad deployment, and ``linli run``'s must-fix subset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import doctor
from assistant.cli import refuse_unsafe
from assistant.shared.config import Settings
from assistant.shared.errors import LinliError
from assistant.tls import make_certificate

ROOT = Path(__file__).resolve().parents[1]
GOOD_TOKENS = {"kiosk": "k" * 8 + "-kiosk-secret-0001", "staff": "s" * 8 + "-staff-secret-0001",
               "rasa": "r" * 8 + "-rasa-secret-00001", "reload": "x" * 8 + "-reload-secret-001"}


def private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


@pytest.fixture
def good(tmp_path: Path) -> Settings:
    """A box whose guide is on the LAN with TLS, secrets distinct and private, a model trained."""
    var = tmp_path / "var"
    private(var / "tokens.json", json.dumps(GOOD_TOKENS))
    private(var / "qr-key", "q" * 43)
    make_certificate(var / "tls" / "cert.pem", var / "tls" / "key.pem")
    (var / "models").mkdir()
    (var / "models" / "linli-abc.tar.gz").write_bytes(b"model")
    private(var / "services.db", "")
    return Settings(var_dir=var, guide_host="0.0.0.0", kiosk_voice=False,
                    **{f"{k}_token": v for k, v in GOOD_TOKENS.items()})  # type: ignore[arg-type]


def fixes(findings: list[doctor.Finding]) -> list[str]:
    return [f.text for f in findings if f.level == "fix"]


def test_a_good_deployment_has_nothing_to_fix(good: Settings) -> None:
    findings = doctor.check(good)
    assert fixes(findings) == []
    text = doctor.report(findings)
    assert "phones' walking guide listens on 0.0.0.0 with TLS" in text
    assert "action server and Rasa listen on 127.0.0.1 only" in text and text.endswith("Nothing to fix.")
    assert doctor.before_run(good) == []
    refuse_unsafe(good)  # no exception


def test_a_bad_deployment_is_told_what_to_fix(good: Settings, tmp_path: Path) -> None:
    from dataclasses import replace

    var = good.var_dir
    (var / "tls" / "cert.pem").unlink()  # no certificate, yet the office API on the LAN
    os.chmod(config_tokens := var / "tokens.json", 0o644)
    os.chmod(var / "qr-key", 0o640)
    os.chmod(var / "services.db", 0o644)
    (var / "models" / "linli-abc.tar.gz").unlink()
    bad = replace(good, host="0.0.0.0", staff_token=good.kiosk_token, rasa_token="change-me-rasa-token")
    found = fixes(doctor.check(bad))
    text = "\n".join(found)
    assert "office API and staff console would listen on 0.0.0.0 (LINLI_HOST) without TLS" in text
    assert "`linli tls make`" in text
    assert "kiosk and staff secrets are the same" in text
    assert "rasa secret is an example value" in text
    assert f"chmod 600 {config_tokens}" in text and f"chmod 600 {var / 'qr-key'}" in text
    assert f"chmod 600 {var / 'services.db'}" in text
    assert "No trained model" in text and "linli train" in text
    assert GOOD_TOKENS["kiosk"] not in text  # it names secrets, never shows them
    with pytest.raises(LinliError) as refused:
        refuse_unsafe(bad)
    message = str(refused.value)
    assert "Linli will not start" in message and "without TLS" in message and "the same" in message
    assert "No trained model" not in message  # `linli run` trains by itself


def test_plain_http_is_allowed_only_when_asked_for(good: Settings) -> None:
    from dataclasses import replace

    (good.var_dir / "tls" / "key.pem").unlink()
    assert any("without TLS" in f.text for f in doctor.before_run(good))
    allowed = replace(good, allow_plain_http=True)
    assert doctor.before_run(allowed) == []
    assert any(f.level == "warn" and "LINLI_ALLOW_PLAIN_HTTP=1" in f.text for f in doctor.check(allowed))


def test_a_secret_on_a_running_command_line_is_found(good: Settings) -> None:
    leaky = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", GOOD_TOKENS["reload"]])
    try:
        found = [f for f in doctor.before_run(good) if "command line" in f.text]
        assert len(found) == 1 and f"Process {leaky.pid}" in found[0].text
        assert GOOD_TOKENS["reload"] not in found[0].text
    finally:
        leaky.kill()
        leaky.wait()


def test_rasa_or_the_action_server_listening_beyond_loopback_is_found(good: Settings, tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    (proc / "net").mkdir(parents=True)
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    rasa = f"{good.rasa_port:04X}"
    (proc / "net" / "tcp").write_text(header + f"   0: 00000000:{rasa} 00000000:0000 0A 0 0 0 0 0\n"
                                      f"   1: 0100007F:{good.actions_port:04X} 00000000:0000 0A 0 0 0 0 0\n")
    (proc / "net" / "tcp6").write_text(header)
    assert doctor.listening(good.rasa_port, proc) == ["0.0.0.0"]
    assert doctor.listening(good.actions_port, proc) == ["127.0.0.1"]
    found = [f.text for f in doctor.network(good, proc) if f.level == "fix"]
    assert len(found) == 1 and f"port {good.rasa_port}" in found[0] and "dialogue engine" in found[0]


def test_linli_doctor_exit_status(good: Settings, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    env.update({"LINLI_VAR_DIR": str(good.var_dir), "LINLI_GUIDE_HOST": "0.0.0.0", "LINLI_KIOSK_VOICE": "0"})
    ok = subprocess.run([sys.executable, "-m", "assistant.cli", "doctor", "--quiet"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith("Nothing to fix.")
    os.chmod(good.var_dir / "tokens.json", 0o644)
    bad = subprocess.run([sys.executable, "-m", "assistant.cli", "doctor"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "FIX  The tokens file" in bad.stdout and "1 thing to fix." in bad.stdout
    assert not (tmp_path / "var" / "tokens.tmp").exists()
