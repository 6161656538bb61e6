"""The app listens on this machine only unless asked to share (issue 27): `make app`, `swap-explorer app` and
a bare `streamlit run app.py` bind 127.0.0.1; `make app HOST=0.0.0.0` and `swap-explorer app --share` listen
on every interface."""
import socket
import subprocess
import time
from pathlib import Path

import pytest

from swap_engine.commands import app as app_command

ROOT = Path(__file__).resolve().parents[1]


def address_of(argv: list[str]) -> str:
    """The last --server.address in a command line (Streamlit takes the last one given)."""
    return [argv[i + 1] for i, flag in enumerate(argv) if flag == "--server.address"][-1]


def test_the_app_command_binds_this_machine_unless_shared():
    assert address_of(app_command.command([])) == "127.0.0.1"
    assert address_of(app_command.command([], share=True)) == "0.0.0.0"
    assert address_of(app_command.command(["--server.address", "10.1.2.3"])) == "10.1.2.3"  # the user's own wins
    assert app_command.command([]).count("--server.address") == 1


def test_make_app_and_the_config_file_bind_this_machine():
    assert 'address = "127.0.0.1"' in (ROOT / ".streamlit" / "config.toml").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "HOST ?= 127.0.0.1" in makefile and "streamlit run app.py --server.address $(HOST)" in makefile


def _network_address() -> str | None:
    """This machine's address on its network (no packet is sent), or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def _listens(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def test_a_started_app_cannot_be_reached_from_the_network(tmp_path):
    elsewhere = _network_address()
    if elsewhere is None:
        pytest.skip("this machine has no network address to try")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    log = (tmp_path / "streamlit.log").open("w")
    server = subprocess.Popen(app_command.command(["--server.port", str(port)]), cwd=tmp_path, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not _listens("127.0.0.1", port):
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "streamlit.log").read_text()
            time.sleep(0.5)
        assert not _listens(elsewhere, port)
    finally:
        server.terminate()
        server.wait(timeout=20)
