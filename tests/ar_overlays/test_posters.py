"""Posters: files, sizes, PDFs; the printed QR code survives a photo and verifies; the marker is true to size."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, PdfParser

from ar_overlays.detect import MarkerDetector, QrScanner
from ar_overlays.posters import (
    ALL_PDF,
    MM,
    PosterError,
    make_posters,
    marker_side_px,
    place_poster,
    poster_ids,
)
from ar_overlays.testing import add_noise, warp_image_into_frame
from wayfinding.community_map import CommunityMap, default_map_path, load_map
from wayfinding.guide_links import GuideLink, GuideLinkError, parse_guide_url

KEY = b"the-sunny-garden-test-key-0000000000000"
PUBLIC = "http://192.168.1.20:8700"
A4, A3 = (2480, 3508), (3508, 4961)


@pytest.fixture(scope="module")
def community() -> CommunityMap:
    return load_map(default_map_path())


@pytest.fixture(scope="module")
def all_posters(community: CommunityMap, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("posters") / "new" / "folder"  # made on the way
    return out, make_posters(community, KEY, PUBLIC, out)


def pdf_pages(path: Path) -> list[tuple[float, float]]:
    pdf = PdfParser.PdfParser(str(path))
    try:
        return [tuple(pdf.read_indirect(ref)[b"MediaBox"][2:]) for ref in pdf.pages]
    finally:
        pdf.close()


def photo_of(poster: np.ndarray, seed: int = 3) -> np.ndarray:
    """The poster in a 1280×720 camera frame: held at a slant, a bit of perspective, sensor noise."""
    h, w = poster.shape[:2]
    # a lens averages the paper over each pixel: shrink with area averaging first, then the perspective
    scale = 700 / h
    small = cv2.resize(poster, (round(w * scale), 700), interpolation=cv2.INTER_AREA)
    width = 670 * w / h
    quad = np.array([[640 - width / 2, 20], [640 + width / 2, 45], [640 + width / 2 - 15, 700],
                     [640 - width / 2 + 10, 690]])
    frame = warp_image_into_frame(small, quad, seed=seed)
    return add_noise(frame, 4.0, seed=seed)


def code_band(poster: np.ndarray) -> np.ndarray:
    """The middle of a place poster: what a phone or the kiosk camera sees when brought up to the code."""
    h = poster.shape[0]
    return poster[int(h * 0.2):int(h * 0.75)]


def grey(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return image


def test_every_place_and_post_gets_a_png_and_a_pdf(community: CommunityMap,
                                                   all_posters: tuple[Path, list[Path]]) -> None:
    out, written = all_posters
    ids = poster_ids(community)
    assert len(ids) == len(community.places) + len(community.markers) + sum(len(t.stops) for t in community.tours)
    assert {p.name for p in written} == {f"{i}.{ext}" for i in ids for ext in ("png", "pdf")} | {ALL_PDF}
    assert all(p.parent == out and p.stat().st_size > 0 for p in written)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left
    clinic = Image.open(out / "community-clinic.png")
    assert clinic.size == A4 and round(clinic.info["dpi"][0]) == 300
    # a 20 cm marker with its one-cell quiet zone (26.7 cm) does not fit on A4: A3
    assert Image.open(out / "post-lobby.png").size == A3


def test_pdfs_open_with_one_page_each_and_all_pages_together(community: CommunityMap,
                                                             all_posters: tuple[Path, list[Path]]) -> None:
    out, _ = all_posters
    assert pdf_pages(out / "community-clinic.pdf") == [pytest.approx((595.28, 841.89), abs=0.5)]  # A4 in points
    assert pdf_pages(out / "post-lobby.pdf") == [pytest.approx((841.89, 1190.55), abs=0.5)]  # A3
    pages = pdf_pages(out / ALL_PDF)
    assert len(pages) == len(poster_ids(community))


def test_place_poster_code_read_from_a_photo_verifies(all_posters: tuple[Path, list[Path]]) -> None:
    out, _ = all_posters
    found = QrScanner().scan(photo_of(code_band(grey(out / "community-clinic.png"))))
    assert len(found) == 1
    link = parse_guide_url(found[0].text, KEY, "sunny-garden")
    assert link == GuideLink("sunny-garden", to="community-clinic")
    assert found[0].text.startswith(f"{PUBLIC}/guide/sunny-garden?")


def test_place_poster_code_is_big_enough(all_posters: tuple[Path, list[Path]]) -> None:
    out, _ = all_posters
    image = grey(out / "community-clinic.png")
    ok, points = cv2.QRCodeDetector().detect(image)
    assert ok
    side_mm = float(np.linalg.norm(points.reshape(4, 2)[1] - points.reshape(4, 2)[0])) / MM
    assert side_mm >= 90


def test_marker_poster_code_read_from_a_photo_says_where_you_are(all_posters: tuple[Path, list[Path]]) -> None:
    out, _ = all_posters
    poster = grey(out / "post-lane-120.png")
    assert [d.aruco_id for d in MarkerDetector().detect(photo_of(poster, seed=5))] == [4]
    # the code is small beside the marker: the phone comes closer to its lower part
    lower = poster[int(poster.shape[0] * 0.7):, : poster.shape[1] // 2]
    found = QrScanner().scan(photo_of(lower, seed=5))
    assert [parse_guide_url(d.text, KEY, "sunny-garden") for d in found] == [
        GuideLink("sunny-garden", at="post-lane-120")]


def test_a_poster_with_an_altered_code_is_refused(community: CommunityMap) -> None:
    genuine = GuideLink("sunny-garden", to="community-clinic").to_url(PUBLIC, KEY)
    forged = genuine.replace("to=community-clinic", "to=building-3")  # a sticker over the old code
    clinic = next(p for p in community.places if p.id == "community-clinic")
    poster = np.array(place_poster(community, clinic, forged).image)
    found = QrScanner().scan(photo_of(code_band(poster)))
    assert [d.text for d in found] == [forged]
    with pytest.raises(GuideLinkError) as info:
        parse_guide_url(found[0].text, KEY, "sunny-garden")
    assert info.value.reason == "altered"


def test_a_poster_signed_with_another_key_is_refused(community: CommunityMap, tmp_path: Path) -> None:
    make_posters(community, b"another-key-0000000000000000000000000000", PUBLIC, tmp_path, ["library"])
    found = QrScanner().scan(photo_of(code_band(grey(tmp_path / "library.png"))))
    assert len(found) == 1
    with pytest.raises(GuideLinkError):
        parse_guide_url(found[0].text, KEY, "sunny-garden")


def test_the_printed_marker_has_its_declared_size(community: CommunityMap,
                                                  all_posters: tuple[Path, list[Path]]) -> None:
    out, _ = all_posters
    post = next(m for m in community.markers if m.id == "post-lobby")
    image = grey(out / "post-lobby.png")
    detector = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50))
    corners, ids, _ = detector.detectMarkers(image)
    assert ids is not None and ids.reshape(-1).tolist() == [post.aruco]
    c = corners[0].reshape(4, 2)
    sides_mm = np.linalg.norm(c - np.roll(c, -1, axis=0), axis=1) / MM
    # the detector's corners sit on the outer pixel centres: one pixel (0.085 mm) short at most
    assert sides_mm == pytest.approx([post.size * 1000] * 4, abs=0.2)
    assert marker_side_px(post.size) == 2362  # 0.2 m at 300 dpi
    # the quiet zone: one cell (a sixth of the side) of white paper all round
    x0, y0 = c.min(axis=0).astype(int)
    x1, y1 = c.max(axis=0).astype(int)
    cell = marker_side_px(post.size) // 6
    ring = image[y0 - cell:y1 + cell + 1, x0 - cell:x1 + cell + 1].copy()
    ring[cell:-cell, cell:-cell] = 255
    assert ring.min() == 255


def test_only_makes_just_those_and_no_all_pdf(community: CommunityMap, tmp_path: Path) -> None:
    written = make_posters(community, KEY, PUBLIC, tmp_path, ["community-clinic", "post-lane-45"])
    assert sorted(p.name for p in written) == [
        "community-clinic.pdf", "community-clinic.png", "post-lane-45.pdf", "post-lane-45.png"]


def test_unknown_ids_are_refused_with_a_suggestion(community: CommunityMap, tmp_path: Path) -> None:
    with pytest.raises(PosterError, match="'clinic'.*community-clinic"):
        make_posters(community, KEY, PUBLIC, tmp_path, ["clinic"])
    with pytest.raises(PosterError, match="'post-lane-12'.*post-lane-120"):
        make_posters(community, KEY, PUBLIC, tmp_path, ["post-lane-12"])
    assert not list(tmp_path.iterdir())


def test_a_bad_out_dir_is_a_plain_error(community: CommunityMap, tmp_path: Path) -> None:
    blocker = tmp_path / "posters"
    blocker.write_text("a file")
    with pytest.raises(PosterError, match="it is a file, not a folder"):
        make_posters(community, KEY, PUBLIC, blocker, ["library"])
    with pytest.raises(PosterError, match="Cannot write posters"):
        make_posters(community, KEY, PUBLIC, blocker / "below", ["library"])


def test_a_map_with_another_dictionary_prints_its_own_markers(community: CommunityMap) -> None:
    from ar_overlays.posters import marker_poster

    five = community.model_copy(update={"marker_dictionary": "DICT_5X5_100"})
    post = next(m for m in five.markers if m.id == "post-lobby")
    image = np.asarray(marker_poster(five, post, "http://x/guide/sunny-garden?at=post-lobby").image)
    own = MarkerDetector(dictionary="DICT_5X5_100").detect(cv2.resize(image, None, fx=0.25, fy=0.25,
                                                                        interpolation=cv2.INTER_AREA))
    assert [d.aruco_id for d in own] == [post.aruco]
    assert MarkerDetector().detect(cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)) == []
    # the quiet zone: one 5×5 cell (a seventh of the side) of white paper all round
    detector = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_5X5_100))
    corners, ids, _ = detector.detectMarkers(image)
    assert ids is not None and ids.reshape(-1).tolist() == [post.aruco]
    c = corners[0].reshape(4, 2)
    x0, y0 = c.min(axis=0).astype(int)
    x1, y1 = c.max(axis=0).astype(int)
    cell = marker_side_px(post.size) // 7
    ring = image[y0 - cell:y1 + cell + 1, x0 - cell:x1 + cell + 1].copy()
    ring[cell:-cell, cell:-cell] = 255
    assert ring.min() == 255
