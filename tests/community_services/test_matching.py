"""Finding what a resident meant from a short phrase."""

from __future__ import annotations

import pytest

from community_services.matching import best_match, numbers, words

CANDIDATES = [
    ("clinic", ["Community Clinic", "社区卫生服务站", "clinic"]),
    ("library", ["Library and Reading Room", "图书室", "library", "reading room"]),
    ("lockers", ["Parcel Lockers", "快递柜", "parcel locker"]),
    ("south-gate", ["South Gate", "南门"]),
    ("building-1", ["Building 1", "1号楼", "一号楼"]),
    ("building-3", ["Building 3", "3号楼", "三号楼"]),
    ("building-11", ["Building 11", "11号楼", "十一号楼"]),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("clinic", "clinic"),
        ("Could you tell me where the CLINIC is, please?", "clinic"),
        ("the parcel lockers near the south gate", "lockers"),
        ("the south gate lockers", "south-gate"),  # what is asked about comes first
        ("libary", "library"),
        ("readin room", "library"),
        ("building three", "building-3"),
        ("building number 11", "building-11"),
        ("1号楼怎么走", "building-1"),
        ("十一号楼", "building-11"),
        ("我要去图书室", "library"),
        ("图书", "library"),
    ],
)
def test_best_match(query: str, expected: str) -> None:
    assert best_match(query, CANDIDATES) == expected


@pytest.mark.parametrize("query", ["", "   ", "?!", "the", "building", "building 2", "二号楼", "weather today"])
def test_no_match(query: str) -> None:
    assert best_match(query, CANDIDATES) is None


def test_words_and_numbers() -> None:
    assert words("The Parcel Lockers, please!") == ["the", "parcel", "locker", "please"]
    assert words("Building No. 3") == ["building", "3"]
    assert numbers("building twelve") == {12}
    assert numbers("十二号楼 and 3") == {12, 3}
    assert numbers("二十一") == {21}
