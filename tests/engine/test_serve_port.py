"""`leanschool serve` on a port another program holds says so in Russian and names the
option to pick another (issue #12 item 10), instead of the server's traceback."""
from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from webui import cli


@pytest.fixture
def busy_port():
    """A port some other program listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_busy_port_is_one_russian_line_that_suggests_another(busy_port, db_url, workers):
    result = CliRunner().invoke(cli.main, ["serve", "--port", str(busy_port), "--workers", workers],
                                env={"DATABASE_URL": db_url})
    assert result.exit_code == 1
    assert f"порт {busy_port} уже занят другой программой" in result.output
    assert f"--port {busy_port + 1}" in result.output
    assert "Traceback" not in result.output and "OSError" not in result.output


def test_a_free_port_passes_the_check():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cli._port_is_free("127.0.0.1", port)  # no error: the server may start


def test_an_unknown_host_is_named():
    with pytest.raises(cli.CliError, match="неизвестный адрес --host no-such-host.invalid"):
        cli._port_is_free("no-such-host.invalid", 5000)
