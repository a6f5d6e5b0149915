from pathlib import Path

import pytest
from kb.notebooks import source

from .conftest import notebook


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "nb.py"
    p.write_text(text, encoding="utf-8")
    return p


def test_cells_get_lines_ids_and_languages(tmp_path: Path) -> None:
    text = notebook(("zh", "# 标题"), ("en", "# Title"), ("code", "x = 1\ny = 2"), ("zh", "中"), ("en", "en"))
    nb = source.read(write(tmp_path, text))
    lines = text.splitlines()
    code = nb.code_cell_origin(1)
    assert lines[code.marker_line - 1] == "# %%"
    assert lines[code.first_line - 1] == "x = 1"
    assert [c["id"] for c in nb.nb.cells] == [f"cell-{i}" for i in range(5)]
    assert source.read(write(tmp_path, text)).nb.cells[2]["id"] == "cell-2"  # stable across reads


def test_split_keeps_code_and_one_language(tmp_path: Path) -> None:
    nb = source.read(write(tmp_path, notebook(("zh", "# 标题"), ("en", "# Title"), ("code", "1"))))
    executed = source.code_only(nb)
    zh = source.for_language(nb, executed, "zh")
    en = source.for_language(nb, executed, "en")
    assert [c.source for c in zh.cells] == ["# 标题", "1"]
    assert [c.source for c in en.cells] == ["# Title", "1"]
    assert all("tags" not in c.metadata for c in zh.cells)


def test_untagged_markdown_is_an_error_with_its_line(tmp_path: Path) -> None:
    text = notebook(("code", "1")) + "# %% [markdown]\n# no language\n"
    with pytest.raises(source.NotebookSourceError) as err:
        source.read(write(tmp_path, text))
    line = text.splitlines().index("# %% [markdown]") + 1
    assert str(err.value).startswith(f"{tmp_path / 'nb.py'}:{line}: markdown cell must be tagged")


def test_missing_translation_is_an_error(tmp_path: Path) -> None:
    text = notebook(("zh", "# 标题"), ("en", "# Title"), ("code", "1"), ("zh", "只有中文"), ("code", "2"))
    with pytest.raises(source.NotebookSourceError) as err:
        source.read(write(tmp_path, text))
    assert "has no en counterpart" in str(err.value)
    line = text.splitlines().index("# 只有中文")
    assert str(err.value).split(":")[1] == str(line)


def test_code_before_first_marker_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(source.NotebookSourceError, match="start every cell"):
        source.read(write(tmp_path, "x = 1\n# %%\ny = 2\n"))


def test_header_dates_become_json_strings(tmp_path: Path) -> None:
    text = notebook(("zh", "# 题"), ("en", "# T"), ("code", "1")).replace(
        "# jupyter:\n", "# jupyter:\n#   kb:\n#     owner: team\n#     reviewed: 2026-12-03\n", 1
    )
    nb = source.read(write(tmp_path, text))
    assert nb.nb.metadata["kb"] == {"owner": "team", "reviewed": "2026-12-03"}
    import nbformat

    nbformat.writes(source.for_language(nb, source.code_only(nb), "en"))  # JSON-serialisable
