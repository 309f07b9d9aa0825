"""A/B report files from two fixed result sets: JSON, PNG, a self-contained HTML page with escaped output."""

from __future__ import annotations

import base64
import re
import sys

import pytest
from metrics_support import ab_cases, base_results, tuned_results

from entropi.evaluation.compare import Comparison, compare
from entropi.evaluation.report import render_html, write_report


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return compare(ab_cases(), base_results(), tuned_results(), label_a="base", label_b="<tuned>", n_boot=300)


def test_write_report_files(tmp_path, comparison):
    pytest.importorskip("matplotlib")
    files = write_report(tmp_path / "ab", comparison)
    assert {k: p.name for k, p in files.items()} == {
        "json": "compare.json",
        "png": "compare.png",
        "html": "report.html",
    }
    assert Comparison.model_validate_json(files["json"].read_text()) == comparison
    png = files["png"].read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    page = files["html"].read_text()
    embedded = re.search(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert embedded and base64.b64decode(embedded.group(1)) == png


def test_html_is_self_contained_and_escaped(comparison):
    page = render_html(comparison)
    assert "<script>" not in page and "alert(" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page
    assert "&lt;tuned&gt;" in page and "<tuned>" not in page  # labels are escaped too
    assert not re.search(r"(src|href)=['\"](?!data:)", page)  # no external assets
    assert "<link" not in page and "@import" not in page


def test_html_shows_metrics_deltas_and_cases(comparison):
    page = render_html(comparison)
    assert '<tr class="worse"><td>irrelevance</td>' in page
    assert '<tr class="better"><td>argument match</td>' in page
    assert "+100.0 pts [+100.0, +100.0]" in page
    assert "<b>5</b> improved, <b>1</b> regressed" in page
    for case_id in comparison.improved + comparison.regressed:
        assert f"<code>{case_id}</code>" in page
    assert '<tr class="regressed"><td><code>hello</code>' in page
    assert "Tier thinking" in page and "Tier code" in page
    assert "router confusion: base" in page
    assert "TTFT p50 (ms)" in page


def test_report_without_matplotlib(tmp_path, comparison, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    files = write_report(tmp_path, comparison)
    assert set(files) == {"json", "html"}
    assert "data:image/png" not in files["html"].read_text()


def test_no_changes_page(tmp_path):
    same = compare(ab_cases(), base_results(), base_results(), label_a="a", label_b="b", n_boot=50)
    assert "No case changed." in render_html(same)
