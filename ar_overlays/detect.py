"""ArUco marker-post detection and QR code scanning.

Markers: the search runs on a grey copy scaled to ≈ 640 px wide (the thresholding and contour search scale
with the pixel count, and area averaging also halves sensor noise), then the corners are refined on the
full-resolution grey image: ``cornerSubPix``, then lines fitted to the four edges (``refine_by_edges``), which
gives the pose its accuracy back (corners within ≈ 0.06 px on the synthetic set). One core, 1280×720
(bench/ar.py): ≈ 2 ms per frame, against ≈ 5.5 ms for OpenCV's defaults at full resolution. A 20 cm marker is
found from ≈ 0.7 m to ≈ 8 m at 1280×720 (≥ ≈ 30 px) and to ≈ 5 m at 640×480.

Bad frames (None, empty, not uint8, wrong shape, huge) raise ``CameraError`` in both detectors: the caller
(the overlay, the kiosk) already handles that error, and a silent ``[]`` would hide a broken camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from ar_overlays.camera import check_frame
from assistant.shared.errors import LinliError
from wayfinding.community_map import DEFAULT_MARKER_DICTIONARY, MARKER_DICTIONARIES

SEARCH_WIDTH = 640
"""Frames wider than this are searched downscaled (the speed/size trade-off measured in bench/ar.py)."""
_SUBPIX_CRITERIA = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_COUNT, 20, 0.01)


class MarkerDictionaryError(LinliError):
    """A marker dictionary name OpenCV does not know (the map's validation catches it first; this is for code)."""

    code = "marker_dictionary_error"


@cache
def aruco_dictionary(name: str = DEFAULT_MARKER_DICTIONARY) -> cv2.aruco.Dictionary:
    """OpenCV's predefined dictionary of that name (the map's ``marker_dictionary``)."""
    if name not in MARKER_DICTIONARIES or not hasattr(cv2.aruco, name):
        raise MarkerDictionaryError(f"Unknown ArUco dictionary {name!r}; valid: {', '.join(MARKER_DICTIONARIES)}.")
    return cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, name))


def marker_cells(name: str = DEFAULT_MARKER_DICTIONARY) -> int:
    """Cells across a printed marker of the dictionary: its bits plus a one-cell black border each side
    (6 for 4×4, 7 for 5×5)."""
    if name not in MARKER_DICTIONARIES:
        raise MarkerDictionaryError(f"Unknown ArUco dictionary {name!r}; valid: {', '.join(MARKER_DICTIONARIES)}.")
    return MARKER_DICTIONARIES[name][0] + 2


@dataclass(frozen=True)
class MarkerDetection:
    aruco_id: int
    corners: np.ndarray
    """(4, 2) float32 image corners of the black square: TL, TR, BR, BL as printed."""

    @property
    def side_px(self) -> float:
        """Mean side length in pixels (a size for choosing the nearest marker)."""
        c = self.corners
        return float(np.mean(np.linalg.norm(c - np.roll(c, -1, axis=0), axis=1)))


@dataclass(frozen=True)
class QrDetection:
    text: str
    corners: np.ndarray
    """(4, 2) float32 image corners of the code."""


def refine_by_edges(grey: np.ndarray, corners: np.ndarray, samples: int = 24, cells: int = 6) -> np.ndarray:
    """Corners as intersections of lines fitted to the square's four edges.

    A corner alone rests on a few pixels; an edge on a hundred. Along each side, grey profiles across the edge
    (dark border inside, white quiet zone outside: one cell = side/``cells`` each way) give the sub-pixel edge as the
    centroid of the dark→light gradient (the whole step: also the middle of a long motion-blur ramp); a robust
    line through those points per side, intersected with its neighbours, gives corners within ≈ 0.06 px on the
    synthetic set (cornerSubPix alone: ≈ 0.1, worst 0.2). The pose's sideways error scales with that: for a
    20 cm marker seen head-on at 2 m, 0.1 px of corner error is ≈ 4 cm."""
    c = corners.astype(np.float64).reshape(4, 2)
    side = float(np.mean(np.linalg.norm(c - np.roll(c, -1, axis=0), axis=1)))
    if side < 24:  # too few pixels per edge to beat cornerSubPix
        return corners
    reach = max(2.0, side / cells * 0.8)  # within the border cell and the one-cell quiet zone
    offsets = np.arange(-reach, reach + 1e-6, 0.25)
    mids = (offsets[:-1] + offsets[1:]) / 2
    ts = np.linspace(0.12, 0.88, samples)
    lines = []
    for k in range(4):
        a, b = c[k], c[(k + 1) % 4]
        d = (b - a) / max(float(np.linalg.norm(b - a)), 1e-9)
        n = np.array([d[1], -d[0]])  # outward: corners run clockwise in the image
        base = a + np.outer(ts, b - a)
        pts = (base[:, None, :] + offsets[None, :, None] * n).astype(np.float32)
        prof = cv2.remap(grey, pts[..., 0], pts[..., 1], cv2.INTER_CUBIC).astype(np.float32)
        grad = np.clip(np.diff(prof, axis=1), 0, None)  # dark inside → light outside only
        # centroid of the whole step: the run of strong gradient around the steepest point (a long ramp when
        # motion-blurred) plus 1 px of tail each side (cutting the tails off biases a sharp edge); vectorised
        peak = np.argmax(grad, axis=1)
        top = grad[np.arange(samples), peak]
        weak = grad < 0.3 * top[:, None]
        idx = np.arange(grad.shape[1])
        left = np.where(weak & (idx < peak[:, None]), idx, -1).max(axis=1) + 1 - 4
        right = np.where(weak & (idx > peak[:, None]), idx, grad.shape[1]).min(axis=1) - 1 + 4
        w = grad * ((idx >= left[:, None]) & (idx <= right[:, None]))
        ok = top >= 2.0
        found = base[ok] + ((w[ok] @ mids) / w[ok].sum(axis=1))[:, None] * n
        if len(found) < samples // 2:
            return corners
        vx, vy, x0, y0 = cv2.fitLine(np.array(found, np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).reshape(4)
        lines.append((np.array([x0, y0], np.float64), np.array([vx, vy], np.float64)))
    out = np.empty((4, 2))
    for k in range(4):
        (p1, v1), (p2, v2) = lines[k - 1], lines[k]  # corner k: end of side k-1, start of side k
        den = v1[0] * v2[1] - v1[1] * v2[0]
        if abs(den) < 1e-6:
            return corners
        s = ((p2[0] - p1[0]) * v2[1] - (p2[1] - p1[1]) * v2[0]) / den
        out[k] = p1 + s * v1
    if np.abs(out - c).max() > side / 8:  # lines that wandered off (glare, a hand on the edge): keep the corners
        return corners
    return out.astype(np.float32)


def _grey(frame: np.ndarray) -> np.ndarray:
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


class MarkerDetector:
    """Finds markers of one ArUco dictionary (the map's ``marker_dictionary``, default DICT_4X4_50);
    ``detect(frame)`` → detections with sub-pixel corners at full resolution."""

    def __init__(self, search_width: int = SEARCH_WIDTH, refine: bool = True,
                 dictionary: str = DEFAULT_MARKER_DICTIONARY) -> None:
        self.dictionary_name = dictionary
        self.cells = marker_cells(dictionary)
        aruco = aruco_dictionary(dictionary)

        def detector(window: int) -> cv2.aruco.ArucoDetector:
            params = cv2.aruco.DetectorParameters()
            params.adaptiveThreshWinSizeMin = params.adaptiveThreshWinSizeMax = window
            params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_NONE  # refined at full resolution below
            return cv2.aruco.ArucoDetector(aruco, params)

        # one threshold window per pass instead of the default three (3, 13, 23): a 5 px window finds sharp
        # markers at half the cost; only when it finds nothing does a 15 px pass look again (blurred or very
        # oblique markers), so a frame with a marker in view pays for one pass
        self.passes = (detector(5), detector(15))
        self.search_width = search_width
        self.refine = refine

    def detect(self, frame: np.ndarray) -> list[MarkerDetection]:
        grey = _grey(check_frame(frame, allow_grey=True))
        h, w = grey.shape
        scale = min(1.0, self.search_width / w)
        small = grey if scale == 1.0 else cv2.resize(grey, (round(w * scale), round(h * scale)),
                                                     interpolation=cv2.INTER_AREA)
        for detector in self.passes:
            corners, ids, _ = detector.detectMarkers(small)
            if ids is not None and len(ids):
                break
        else:
            return []
        out = []
        for c, i in zip(corners, ids.reshape(-1), strict=True):
            pts: np.ndarray = c.reshape(4, 2).astype(np.float32)
            if scale != 1.0:
                # INTER_AREA maps pixel centres: full = (small + 0.5) / scale - 0.5
                pts = (pts + 0.5) / scale - 0.5
            if self.refine:
                side = float(np.min(np.linalg.norm(pts - np.roll(pts, -1, axis=0), axis=1)))
                # half a window up to 3/4 of a cell (side/8 for 4×4): inside the black border cell plus the
                # quiet zone (a cell each), and wide enough to pull back a corner the coarse search put a few
                # pixels off
                win = int(np.clip(side * 0.75 / self.cells, 2, 30))
                pts = cv2.cornerSubPix(grey, pts.reshape(-1, 1, 2), (win, win), (-1, -1),
                                       _SUBPIX_CRITERIA).reshape(4, 2)
                pts = refine_by_edges(grey, pts, cells=self.cells)
            out.append(MarkerDetection(int(i), pts))
        return out


class QrScanner:
    """OpenCV QR codes, in passes from cheap to thorough, stopping at the first that reads a code: the ArUco-based
    detector on a 640-px copy (finds a poster held up to the camera, ≈ 30 ms), the classic detector at 960 px
    (≈ 15 ms; reads some codes the other misses), then the ArUco-based one at full resolution (small codes far
    away). The classic detector alone missed a slanted, area-averaged poster photo that the ArUco-based one read.
    Not in the per-frame budget: the kiosk scans every n-th frame (bench/ar.py measures both, code and no code)."""

    PASSES: tuple[tuple[str, int], ...] = (("aruco", 640), ("classic", 960), ("aruco", 0))
    """(detector, search width; 0 = full resolution)."""

    def __init__(self, passes: tuple[tuple[str, int], ...] | None = None) -> None:
        self.detectors: dict[str, cv2.QRCodeDetector | cv2.QRCodeDetectorAruco] = {
            "classic": cv2.QRCodeDetector(), "aruco": cv2.QRCodeDetectorAruco()}
        self.passes = passes or self.PASSES

    def _scan(self, kind: str, grey: np.ndarray, scale: float) -> list[QrDetection]:
        try:
            ok, texts, points, _ = self.detectors[kind].detectAndDecodeMulti(grey)
        except cv2.error:  # OpenCV asserts on some degenerate quads; that is "no code", not a crash
            return []
        if not ok or points is None:
            return []
        out = []
        for text, pts in zip(texts, points, strict=False):
            if text:
                c = np.asarray(pts, np.float32).reshape(4, 2)
                out.append(QrDetection(str(text), (c + 0.5) / scale - 0.5 if scale != 1.0 else c))
        return out

    def scan(self, frame: np.ndarray) -> list[QrDetection]:
        grey = _grey(check_frame(frame, allow_grey=True))
        h, w = grey.shape
        done: set[tuple[str, int]] = set()
        for kind, width in self.passes:
            scale = width / w if 0 < width < w else 1.0
            key = (kind, round(w * scale))
            if key in done:  # a small frame: the "downscaled" pass would repeat the full-resolution one
                continue
            done.add(key)
            small = grey if scale == 1.0 else cv2.resize(grey, (round(w * scale), round(h * scale)),
                                                         interpolation=cv2.INTER_AREA)
            found = self._scan(kind, small, scale)
            if found:
                return found
        return []
