"""README.md and docs/: the two commands come first, the tour runs as written, every relative link
resolves, and README stays a user's page (at most 200 lines)."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]


def fenced_blocks(text, language):
    """The bodies of the ``` blocks opened with exactly `language` ("" for a bare fence)."""
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.S | re.M)


def test_readme_opens_with_the_install_and_test_commands():
    first = re.search(r"^```(\w*)\n(.*?)^```$", README.read_text(), re.S | re.M)
    commands = ["pip install . && tensorlite demo", 'pip install ".[test]" && pytest']
    assert first.group(2).splitlines() == commands


def test_readme_is_at_most_200_lines():
    assert len(README.read_text().splitlines()) <= 200


def test_readme_tour_runs_and_learns(tmp_path, monkeypatch, capsys):
    tour = README.read_text().split("## A short tour", 1)[1].split("\n## ", 1)[0]
    blocks = fenced_blocks(tour, "python")
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)  # the tour saves a checkpoint in the working directory
    namespace = {}
    exec(compile("\n".join(blocks), str(README), "exec"), namespace)
    first_loss, first_accuracy = (float(v) for v in capsys.readouterr().out.split()[:2])
    assert first_loss < 0.2 and first_accuracy > 0.95
    assert namespace["history"]["val_accuracy"][-1] > 0.85
    assert (tmp_path / "cnn.safetensors").stat().st_size > 0


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page):
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text())
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    missing = [t for t in local if not (page.parent / t).exists()]
    assert not missing, f"{page.name}: missing {missing}"
    assert local or page != README, "README links to no page of docs/"
