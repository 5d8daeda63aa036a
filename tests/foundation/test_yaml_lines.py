"""yaml_lines: YAML that remembers where each value came from, so errors can say ``file:line``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foundation import yaml_lines
from foundation.errors import ReadableError, YamlError
from foundation.yaml_lines import read_yaml

DOC = """\
name: parking
intents:
  ask_parking:
    examples:
      - where can I park
      - visitor parking
responses:
  utter_parking:
    - text: By the East Gate.
      buttons:
        - {title: Thanks, payload: /thank}
empty:
"""


def write(tmp_path: Path, text: str, name: str = "skill.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def doc(tmp_path: Path) -> yaml_lines.LinedYaml:
    return read_yaml(write(tmp_path, DOC))


def test_reads_data_and_keeps_the_path(doc: yaml_lines.LinedYaml, tmp_path: Path) -> None:
    assert doc.path == tmp_path / "skill.yml"
    assert doc.data["intents"]["ask_parking"]["examples"] == ["where can I park", "visitor parking"]
    assert doc.data["empty"] is None


@pytest.mark.parametrize(("loc", "line"), [
    ((), 1),
    (("name",), 1),
    (("intents",), 2),
    (("intents", "ask_parking"), 3),
    # a key whose value is a block on the following lines is reported on the key's own line
    (("intents", "ask_parking", "examples"), 4),
    (("intents", "ask_parking", "examples", 0), 5),
    (("intents", "ask_parking", "examples", 1), 6),
    (("responses", "utter_parking", 0), 9),
    (("responses", "utter_parking", 0, "text"), 9),
    (("responses", "utter_parking", 0, "buttons"), 10),
    (("responses", "utter_parking", 0, "buttons", 0, "payload"), 11),
    (("empty",), 12),
])
def test_line_of_follows_the_location(doc: yaml_lines.LinedYaml, loc: tuple[str | int, ...], line: int) -> None:
    assert doc.line_of(loc) == line


@pytest.mark.parametrize(("loc", "line"), [
    (("nope",), 1),                                        # unknown top-level key: the document start
    (("intents", "missing_intent"), 2),                    # deepest part that exists
    (("intents", "ask_parking", "examples", 7), 4),        # index past the end of the list
    (("intents", "ask_parking", "examples", "x"), 4),      # string key into a list
    (("name", "deeper"), 1),                               # below a scalar
])
def test_line_of_stops_at_the_deepest_existing_node(doc: yaml_lines.LinedYaml, loc: tuple[str | int, ...],
                                                    line: int) -> None:
    assert doc.line_of(loc) == line


def test_where_is_path_colon_line(doc: yaml_lines.LinedYaml, tmp_path: Path) -> None:
    assert doc.where(("responses", "utter_parking")) == f"{tmp_path / 'skill.yml'}:8"


def test_integer_mapping_keys_are_found(tmp_path: Path) -> None:
    doc = read_yaml(write(tmp_path, "a: 1\n5:\n  - x\n"))
    assert doc.line_of((5, 0)) == 3


def test_empty_file_has_no_data_and_points_at_line_1(tmp_path: Path) -> None:
    doc = read_yaml(write(tmp_path, ""))
    assert doc.data is None and doc.root is None
    assert doc.line_of(("name",)) == 1


def test_utf8_text_and_a_byte_order_mark_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "skill.yml"
    path.write_bytes("\ufeffname: 垃圾分类\nhelp: 你好\n".encode())
    doc = read_yaml(path)
    assert doc.data == {"name": "垃圾分类", "help": "你好"}
    assert doc.line_of(("help",)) == 2


@pytest.mark.parametrize(("text", "line", "key"), [
    ("a: 1\nb: 2\na: 3\n", 3, "a"),
    ("top:\n  x: 1\n  y: 2\n  x: 3\n", 4, "x"),
    ("rules:\n  - rule: one\n    steps: []\n  - rule: two\n    steps: []\n    rule: again\n", 6, "rule"),
])
def test_duplicate_keys_are_errors_with_the_second_line(tmp_path: Path, text: str, line: int, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(YamlError) as err:
        read_yaml(path)
    assert f"{path}:{line}:" in str(err.value)
    assert f"{key!r} appears twice" in str(err.value)
    assert err.value.hint and "only the last" in err.value.hint


def test_equal_keys_in_different_mappings_are_not_duplicates(tmp_path: Path) -> None:
    doc = read_yaml(write(tmp_path, "a:\n  text: x\nb:\n  text: y\nc: [{text: 1}, {text: 2}]\n"))
    assert doc.data["b"] == {"text": "y"}


def test_non_utf8_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "skill.yml"
    path.write_bytes(b"name: cafe\nhelp: ok\ndescription: caf\xe9 opening hours\n")
    with pytest.raises(YamlError) as err:
        read_yaml(path)
    assert str(err.value).startswith(f"{path}:3: the file is not UTF-8")
    assert "UTF-8" in (err.value.hint or "")


def test_gbk_encoded_chinese_is_reported_not_garbled(tmp_path: Path) -> None:
    path = tmp_path / "skill.yml"
    path.write_bytes("name: x\nhelp: 垃圾分类\n".encode("gbk"))
    with pytest.raises(YamlError, match=r"skill\.yml:2: the file is not UTF-8"):
        read_yaml(path)


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "skill.yml"
    path.write_bytes(b"# " + b"x" * yaml_lines.MAX_FILE_BYTES + b"\n")
    with pytest.raises(YamlError) as err:
        read_yaml(path)
    assert str(path) in str(err.value)
    assert f"{yaml_lines.MAX_FILE_BYTES:,}" in str(err.value)


def test_file_at_the_size_limit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_lines, "MAX_FILE_BYTES", 10)
    assert read_yaml(write(tmp_path, "a: 123456")).data == {"a": 123456}  # exactly 10 bytes
    with pytest.raises(YamlError, match="the limit is 10"):
        read_yaml(write(tmp_path, "a: 12345678"))  # 11 bytes


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("name: x\nresponses:\n  - text: Note: this breaks\n", 3, "mapping values are not allowed here"),
    ("name: x\nintents:\n\t- x\n", 3, "cannot start any token"),
    ("name: x\nhelp: \"open quote\nother: 1\n", 4, "unexpected end of stream"),
    ("a: 1\nb:\n  - x\n  y: 2\n", 4, "expected <block end>"),
    ("a: 1\n---\nb: 2\n", 2, "found another document"),
])
def test_yaml_syntax_error_names_file_line_and_problem(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(YamlError) as err:
        read_yaml(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: this is not valid YAML")
    assert problem in message
    assert err.value.hint  # tells the admin what usually causes it


def test_python_tags_are_refused_not_executed(tmp_path: Path) -> None:
    path = write(tmp_path, "a: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(YamlError, match=r"skill\.yml:1: this is not valid YAML"):
        read_yaml(path)


def test_missing_file_is_a_skill_error(tmp_path: Path) -> None:
    with pytest.raises(YamlError, match="cannot read the file"):
        read_yaml(tmp_path / "nope.yml")


class MapProblem(ReadableError):
    code = "map_problem"


@pytest.mark.parametrize("content", [b"a: [1\n", b"a: caf\xe9\n", b"a: 1\na: 2\n"])
def test_the_caller_chooses_the_error_class(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "map.yml"
    path.write_bytes(content)
    with pytest.raises(MapProblem, match=r"map\.yml:\d+: "):
        read_yaml(path, error=MapProblem)
    with pytest.raises(MapProblem, match="cannot read the file"):
        read_yaml(tmp_path / "nope.yml", error=MapProblem)


# --- deep nesting: a file:line message, never a RecursionError ------------------------------------------------

@pytest.mark.parametrize(("text", "line"), [
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", 1),
    ("a: " + "{x: " * 3000 + "1" + "}" * 3000 + "\n", 1),
    ("x: 1\nb:\n" + "".join("  " * i + "-\n" for i in range(1, 80)), 42),
])
def test_deep_nesting_is_refused_with_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path, text)
    with pytest.raises(YamlError, match=rf":{line}: the YAML is nested more than {yaml_lines.MAX_DEPTH} levels"):
        read_yaml(path)


def test_nesting_as_deep_as_allowed_is_read(tmp_path: Path) -> None:
    depth = yaml_lines.MAX_DEPTH - 1  # the top mapping is one level
    assert read_yaml(write(tmp_path, "a: " + "[" * depth + "1" + "]" * depth + "\n")).data is not None


# --- any text at all: the data, or our own error (hypothesis) ---------------------------------------------------

YAML_ALPHABET = list("abc:-[]{}#&*!|>'\"%@`, \n\t?0123456789.") + ["\u00e9", "漏", "\ufeff", "\x00", "\x85"]


@given(st.text(alphabet=st.sampled_from(YAML_ALPHABET), max_size=200))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_is_read_or_refused_with_our_own_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "any.yml"
    path.write_text(text, encoding="utf-8")
    try:
        read_yaml(path)
    except YamlError as e:
        assert str(path) in e.message


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_bytes_are_read_or_refused_with_our_own_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "any.yml"
    path.write_bytes(raw)
    try:
        read_yaml(path)
    except YamlError as e:
        assert str(path) in e.message
