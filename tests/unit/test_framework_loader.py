"""The framework loader: bundled frameworks load, and each rejection names file:line:column."""

from __future__ import annotations

import contextlib
import json
import textwrap

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfassess.core import framework as fw
from selfassess.core import strict_yaml
from selfassess.core.errors import FrameworkError
from selfassess.core.framework_schema import json_schema_text
from tests.conftest import BOARD, BUNDLED, WHAT_WORKS

MINIMAL = textwrap.dedent(
    """\
    format: 1
    id: mini
    version: "1.0"
    title: Mini
    publisher: Tests
    sources:
      - id: doc
        title: A document
    scales:
      - id: m
        title: Maturity
        levels:
          - key: low
            label: Low
            score: 1
          - key: high
            label: High
            score: 2
    domains:
      - id: d1
        ref: "1"
        title: Domain one
        questions:
          - id: q1
            ref: "1.1"
            text: A question?
            source:
              document: doc
    """
)


def problems_of(text: str, name: str = "f.yaml") -> list[str]:
    with pytest.raises(FrameworkError) as info:
        fw.parse(text, name)
    return [str(p) for p in info.value.problems]


def test_minimal_framework_loads():
    f = fw.parse(MINIMAL, "mini.yaml")
    assert f.key == "mini@1.0"
    assert [q.id for q in f.questions()] == ["q1"]
    assert f.scale_for(f.question("q1")).level_keys() == ("low", "high")


def test_board_framework_has_six_domains_of_at_least_six_questions():
    f = fw.load_file(BOARD)
    titles = [d.title for d in f.domains]
    assert titles == [
        "Leadership and accountability",
        "Strategy and governance",
        "Data and insight",
        "Public health capacity and prevention",
        "The trust as an anchor institution",
        "Workforce diversity and inclusion",
    ]
    assert all(len(d.questions) >= 6 for d in f.domains)
    scale = f.scale("maturity")
    assert len(scale.levels) == 4
    for q in f.questions():
        assert q.source.document in {s.id for s in f.sources}
        assert q.text and q.guidance and q.evidence_expected and q.suggested_actions, q.id


def test_what_works_framework_has_four_sections_and_24_principles():
    f = fw.load_file(WHAT_WORKS)
    assert [d.title for d in f.domains] == [
        "Patient-led, inclusive culture",
        "Equity-focused systems",
        "Enabling partnerships",
        "Equitable structures",
    ]
    assert [len(d.questions) for d in f.domains] == [6, 5, 7, 6]
    assert f.question_count == 24
    for q in f.questions():
        assert q.source.document == "heec-what-works-2025"
        assert q.source.section, q.id
        assert q.suggested_actions, q.id


def test_hash_ignores_formatting_but_not_content():
    a = fw.parse(MINIMAL, "a.yaml")
    b = fw.parse("# a comment\n" + MINIMAL.replace("title: Mini", "title:   Mini"), "b.yaml")
    c = fw.parse(MINIMAL.replace("A question?", "Another question?"), "c.yaml")
    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash


def test_framework_is_immutable():
    f = fw.parse(MINIMAL, "m.yaml")
    with pytest.raises(AttributeError):
        f.title = "changed"  # type: ignore[misc]
    data = f.data()
    data["title"] = "changed"
    assert f.title == "Mini" and f.data()["title"] == "Mini"


def test_schema_file_is_generated_from_the_loader_rules():
    assert (BUNDLED / "schema.json").read_text(encoding="utf-8") == json_schema_text()


@pytest.mark.parametrize("path", [BOARD, WHAT_WORKS, BUNDLED / "eds-2022.yaml"], ids=["board", "what-works", "eds-2022"])
def test_bundled_frameworks_match_the_published_json_schema(path):
    schema = json.loads((BUNDLED / "schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


# --- each rejection rule, with its exact line and column ------------------------------------------


def test_duplicate_key_is_named_with_both_positions():
    text = MINIMAL.replace("title: Mini\n", "title: Mini\ntitle: Again\n")
    assert problems_of(text) == ["f.yaml:5:1: duplicate key 'title' (first at line 4, column 1), expected each key once"]


def test_duplicate_question_id():
    text = MINIMAL + textwrap.indent(
        "- id: q1\n  ref: \"1.2\"\n  text: Again?\n  source:\n    document: doc\n", "      "
    )
    assert problems_of(text) == [
        "f.yaml:29:13: duplicate id 'q1' (first at line 24, column 13), expected ids unique across the file"
    ]


def test_domain_and_question_ids_share_one_namespace():
    text = MINIMAL.replace("- id: q1", "- id: d1")
    assert problems_of(text) == [
        "f.yaml:24:13: duplicate id 'd1' (first at line 20, column 9), expected ids unique across the file"
    ]


def test_anchor_and_alias_are_rejected():
    text = MINIMAL.replace("    title: A document", "    title: &t A document").replace(
        "title: Domain one", "title: *t"
    )
    assert problems_of(text) == [
        "f.yaml:8:12: YAML anchor '&t' is not allowed, expected every value written out in full",
        "f.yaml:22:12: YAML alias '*t' is not allowed, expected the value written out in full",
        "f.yaml:22:12: domain title is empty (null), expected text",
    ]


def test_merge_key_is_rejected():
    text = MINIMAL.replace("    title: A document", "    title: A document\n    <<: {}")
    assert "f.yaml:9:5: YAML merge key '<<' is not allowed, expected the keys written out" in problems_of(text)


def test_unknown_scale_reference():
    text = MINIMAL.replace("text: A question?", "text: A question?\n        scale: maturity")
    assert problems_of(text) == ["f.yaml:27:16: unknown scale 'maturity', expected one of: m"]


def test_unknown_default_scale_and_source():
    text = MINIMAL.replace("domains:", "default_scale: nope\ndomains:").replace("document: doc", "document: elsewhere")
    assert problems_of(text) == [
        "f.yaml:19:16: default_scale 'nope' is not a defined scale, expected one of: m",
        "f.yaml:29:21: unknown source document 'elsewhere', expected one of the framework's sources: doc",
    ]


@pytest.mark.parametrize(
    ("written", "reading"),
    [
        ("no", "a boolean (false)"),
        ("yes", "a boolean (true)"),
        ("on", "a boolean (true)"),
        ("1.10", "a decimal number (1.1)"),
        ("2025", "a whole number (2025)"),
        ("~", None),
    ],
)
def test_yaml_11_traps_in_ids_are_explained(written, reading):
    text = MINIMAL.replace("- id: d1", f"- id: {written}")
    (problem,) = problems_of(text)
    if reading is None:
        assert problem == "f.yaml:20:9: domain id is empty (null), expected text"
    else:
        assert problem == f"f.yaml:20:9: domain id '{written}' is read by YAML as {reading}, expected text: quote it as \"{written}\""


def test_unquoted_version_and_ref_are_explained():
    text = MINIMAL.replace('version: "1.0"', "version: 1.10").replace('ref: "1.1"', "ref: 1.1")
    assert problems_of(text) == [
        "f.yaml:3:10: framework version '1.10' is read by YAML as a decimal number (1.1), expected text: quote it as \"1.10\"",
        "f.yaml:25:14: question ref '1.1' is read by YAML as a decimal number (1.1), expected text: quote it as \"1.1\"",
    ]


def test_non_yaml_tags_are_rejected():
    text = MINIMAL.replace("title: Mini", "title: !!python/object/apply:os.system [echo]").replace(
        "title: Domain one", "title: !custom Domain one"
    )
    assert problems_of(text) == [
        "f.yaml:4:8: YAML tag '!!python/object/apply:os.system' is not allowed, expected plain YAML values (text, numbers, lists, mappings)",
        "f.yaml:4:8: framework title is a list, expected text",
        "f.yaml:22:12: YAML tag '!custom' is not allowed, expected plain YAML values (text, numbers, lists, mappings)",
    ]


def test_oversized_file_is_rejected_before_parsing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(MINIMAL.encode() + b"#" * (strict_yaml.MAX_BYTES + 1))
    with pytest.raises(FrameworkError) as info:
        fw.load_file(big)
    assert [str(p) for p in info.value.problems] == [
        f"{big}:1:1: file is more than {strict_yaml.MAX_BYTES:,} bytes ({big.stat().st_size:,}), "
        "more than a framework YAML file can be"
    ]


def test_second_document_is_rejected():
    assert problems_of(MINIMAL + "---\nid: other\n") == [
        "f.yaml:29:1: a second YAML document ('---') is not allowed, expected one framework per file"
    ]


def test_syntax_error_has_a_position():
    (problem,) = problems_of(MINIMAL.replace("title: Mini", "title: [Mini"))
    assert problem.startswith("f.yaml:5:10: YAML syntax error:")
    assert problem.endswith("expected valid YAML")


def test_unknown_key_suggests_the_nearest():
    assert problems_of(MINIMAL.replace("    title: Domain one", "    titel: Domain one")) == [
        "f.yaml:20:5: domain is missing 'title', expected a 'title' key",
        "f.yaml:22:5: unknown key 'titel' in domain, did you mean 'title'?",
    ]


def test_level_descriptions_must_name_levels_of_the_scale():
    text = MINIMAL.replace("text: A question?", "text: A question?\n        levels:\n          medium: In between")
    assert problems_of(text) == ["f.yaml:28:11: 'medium' is not a level of scale 'm', expected one of: low, high"]


def test_control_characters_in_text_are_rejected():
    assert problems_of(MINIMAL.replace("text: A question?", 'text: "A \\x07 question?"')) == [
        "f.yaml:26:15: question text contains the control character U+0007, expected printable text"
    ]


def test_all_problems_are_reported_in_one_pass():
    text = (
        MINIMAL.replace("title: Mini\n", "title: Mini\ntitle: Again\n")
        .replace("- id: d1", "- id: no")
        .replace("score: 2", "score: high")
        .replace("document: doc", "document: nowhere")
    )
    problems = problems_of(text)
    assert len(problems) == 4
    assert [p.split(":")[1] for p in problems] == ["5", "19", "21", "29"]


def test_empty_and_non_utf8_files():
    assert problems_of("") == ["f.yaml:1:1: file is empty, expected a framework mapping"]
    with pytest.raises(FrameworkError) as info:
        fw.parse(b"id: x\ntitle: caf\xe9\n", "latin1.yaml")
    assert [str(p) for p in info.value.problems] == [
        "latin1.yaml:2:11: file is not valid UTF-8 text, expected UTF-8"
    ]


def test_top_level_must_be_a_mapping():
    assert problems_of("- just\n- a list\n") == [
        "f.yaml:1:1: framework is a list, expected a framework (a mapping of keys such as format, id, version)"
    ]


def test_retired_questions_must_point_at_current_ones():
    text = MINIMAL + "retired:\n  - id: old-q\n    replaced_by: [q1, gone]\n"
    assert problems_of(text) == [
        "f.yaml:31:23: retired question 'old-q' is replaced by 'gone', which is not a current question"
    ]
    ok = fw.parse(MINIMAL + "retired:\n  - id: old-q\n    replaced_by: [q1]\n", "ok.yaml")
    assert ok.successors("old-q") == ("q1",)


# --- mutation: nothing but the validator's own error may escape ------------------------------------

_BUNDLED_TEXT = [BOARD.read_bytes(), WHAT_WORKS.read_bytes()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.sampled_from([0, 1]),
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.sampled_from(["flip", "delete", "insert", "dup-line", "drop-line"]), st.binary(min_size=1, max_size=4)),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_bundled_frameworks_raise_only_the_validators_error(which, edits):
    data = bytearray(_BUNDLED_TEXT[which])
    for position, kind, payload in edits:
        i = position % max(len(data), 1)
        if kind == "flip":
            data[i] ^= payload[0] or 1
        elif kind == "delete":
            del data[i : i + len(payload)]
        elif kind == "insert":
            data[i:i] = payload
        else:
            lines = bytes(data).split(b"\n")
            j = position % len(lines)
            if kind == "dup-line":
                lines.insert(j, lines[j])
            else:
                del lines[j]
            data = bytearray(b"\n".join(lines))
    try:
        loaded = fw.parse(bytes(data), "mutated.yaml")
    except FrameworkError as exc:
        assert exc.problems, "a FrameworkError must name at least one problem"
        for p in exc.problems:
            assert p.file == "mutated.yaml" and p.line >= 1 and p.column >= 1 and p.message
    else:
        assert loaded.question_count > 0


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises_anything_else(text):
    with contextlib.suppress(FrameworkError):
        fw.parse(text, "random.yaml")
