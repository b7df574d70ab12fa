"""Command lines fail fast: a bad argument or output path is one line on stderr, exit 2,
before any work; exit 1 keeps its one meaning; progress reaches a pipe as it happens."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from figures import cli as figures_cli
from hfy_reference import _cli
from proofs_check import cli as proofs_cli
from proofs_check import report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fail_fast(main, argv, capsys, monkeypatch, work_fn):
    """Run ``main(argv)``, asserting exit 2, one stderr line and no work done."""
    calls = []
    monkeypatch.setattr(*work_fn, lambda *a, **k: calls.append(1) or (_ for _ in ()).throw(
        AssertionError("work started before the arguments were checked")))
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert not calls
    return lines[0]


@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "plain.txt"
    f.write_text("x")
    return f


# --- proofs_check ---------------------------------------------------------------------
@pytest.mark.parametrize("case", ["missing_dir", "is_dir", "under_file", "bad_seed",
                                  "bad_only", "unknown_flag"])
def test_proofs_check_bad_arguments_exit_2_before_work(case, tmp_path, a_file, capsys,
                                                       monkeypatch):
    argv = {
        "missing_dir": ["--json", str(tmp_path / "no" / "such" / "r.json")],
        "is_dir": ["--json", str(tmp_path)],
        "under_file": ["--json", str(a_file / "r.json")],
        "bad_seed": ["--seed", "-1"],
        "bad_only": ["--only", "NO_SUCH_CLAIM"],
        "unknown_flag": ["--bogus"],
    }[case]
    line = _fail_fast(proofs_cli.main, argv, capsys, monkeypatch,
                      (proofs_cli.runner, "run"))
    assert line.startswith("python -m proofs_check: error:")
    word = {"missing_dir": "does not exist", "is_dir": "is a folder",
            "under_file": "does not exist", "bad_seed": "--seed",
            "bad_only": "NO_SUCH_CLAIM", "unknown_flag": "--bogus"}[case]
    assert word in line


def test_proofs_check_json_written_and_exit_0(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert proofs_cli.main(["--only", "T1", "--json", str(out),
                            "--no-progress"]) == 0
    assert out.read_text().startswith("{")


def test_progress_lines_reach_a_pipe():
    """Not a tty: a claim that takes >= 2 s gets its own flushed line, as it ends."""
    stream = io.StringIO()
    prog = report.Progress(stream=stream)
    assert not prog.tty
    prog(0, 2, "A", None)
    prog.started -= 3.0  # pretend the claim took 3 s
    prog(1, 2, "A", {"status": "verified"})
    prog(1, 2, "B", None)
    prog(2, 2, "B", {"status": "verified"})  # the last one always prints
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[  1/2]") and "A: verified (3.0 s)" in lines[0]
    assert lines[-1].startswith("[  2/2]") and "B: verified" in lines[-1]
    silent = io.StringIO()
    report.Progress(stream=silent, enabled=False)(1, 1, "A", {"status": "verified"})
    assert silent.getvalue() == ""


def test_help_states_exit_codes_and_measured_times(capsys):
    with pytest.raises(SystemExit) as exc:
        proofs_cli.main(["--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "< 60 s" not in text
    assert "1 a theorem was refuted" in text and "2 a bad command line" in text
    assert "7 s once compiled" in text and "about 40 s" in text


# --- figures --------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["dpi0", "dpi_huge", "threads0", "threads99", "out_file",
                                  "out_under_file", "only_unknown", "no_out"])
def test_figures_bad_arguments_exit_2_before_work(case, tmp_path, a_file, capsys,
                                                  monkeypatch):
    good = str(tmp_path / "out")
    argv = {
        "dpi0": ["--out", good, "--dpi", "0"],
        "dpi_huge": ["--out", good, "--dpi", "100000"],
        "threads0": ["--out", good, "--threads", "0"],
        "threads99": ["--out", good, "--threads", "99"],
        "out_file": ["--out", str(a_file)],
        "out_under_file": ["--out", str(a_file / "sub")],
        "only_unknown": ["--out", good, "--only", "nope"],
        "no_out": [],
    }[case]
    line = _fail_fast(figures_cli.main, argv, capsys, monkeypatch, (figures_cli, "get"))
    assert line.startswith("python -m figures: error:")
    word = {"dpi0": "--dpi must be an integer from 10 to 1200, got 0",
            "dpi_huge": "got 100000", "threads0": "--threads must be from 1 to",
            "threads99": "got 99", "out_file": "is not a folder",
            "out_under_file": "cannot be created", "only_unknown": "invalid choice",
            "no_out": "--out"}[case]
    assert word in line


def test_figures_exit_1_only_for_a_failed_figure(tmp_path, monkeypatch, capsys):
    def boom(**_kw):
        raise RuntimeError("planted failure")

    monkeypatch.setattr(figures_cli, "get", lambda name: boom)
    assert figures_cli.main(["--out", str(tmp_path / "f"), "--only", "margins"]) == 1
    assert "FAILED: margins" in capsys.readouterr().out


# --- shared helpers -------------------------------------------------------------------
def test_output_checks(tmp_path, a_file):
    assert _cli.output_file_error(str(tmp_path / "ok.json"), "--json") is None
    assert not (tmp_path / "ok.json").exists()  # nothing is left behind
    assert list(tmp_path.iterdir()) == [a_file]
    assert "is a folder" in _cli.output_file_error(str(tmp_path), "--json")
    assert _cli.output_dir_error(str(tmp_path / "new" / "deep"), "--out") is None
    assert (tmp_path / "new" / "deep").is_dir()
    assert "not a folder" in _cli.output_dir_error(str(a_file), "--out")
    assert "empty path" in _cli.output_dir_error("", "--out")


def test_compile_notice_only_when_the_cache_is_cold(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(_cli, "kernels_cached", lambda: True)
    assert _cli.compile_notice(stream) is False and stream.getvalue() == ""
    monkeypatch.setattr(_cli, "kernels_cached", lambda: False)
    assert _cli.compile_notice(stream) is True
    text = stream.getvalue()
    assert text.count("\n") == 1 and "compiles its kernels" in text
    assert os.path.dirname(_cli.__file__) in text  # which copy compiles


def test_cold_cache_is_detected(tmp_path, monkeypatch):
    """With an empty cache folder and the in-tree cache hidden, the kernels count as cold."""
    monkeypatch.setattr(_cli, "_kernel_dir", lambda: str(tmp_path / "k"))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert _cli.kernels_cached() is False
    (tmp_path / "k" / "__pycache__").mkdir(parents=True)
    (tmp_path / "k" / "__pycache__" / "simplex._softmax_row-1.py311.nbi").write_bytes(b"")
    assert _cli.kernels_cached() is True


def test_piped_cli_run_prints_one_line_errors_only():
    """The real entry point through a pipe: one line, exit 2, no traceback."""
    out = subprocess.run([sys.executable, "-m", "figures", "--out", ROOT, "--dpi", "-5"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr


def test_closed_pipe_ends_quietly(monkeypatch):
    def main(_argv):
        raise BrokenPipeError

    monkeypatch.setattr(os, "dup2", lambda *a: None)
    assert _cli.run_main(main) == 141
    assert _cli.run_main(lambda _argv: 0) == 0
