"""Camera calibration and frame sources (a camera index, a video file or a still image).

Every failure is a ``CameraError`` with a message a kiosk admin can act on; OpenCV's own errors never leak.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import yaml

from assistant.shared.errors import LinliError

MAX_PIXELS = 4096 * 4096
"""Frames larger than this are refused (a 16 MP frame is not a camera preview; it would blow the budget)."""
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


class CameraError(LinliError):
    """The camera cannot be opened or read, a frame is unusable, or the calibration file is wrong."""

    code = "camera_error"


@dataclass(frozen=True)
class Calibration:
    camera_matrix: np.ndarray
    """3×3 intrinsics K (pixels)."""
    dist_coeffs: np.ndarray
    """OpenCV distortion coefficients (k1, k2, p1, p2[, k3…]); zeros when uncalibrated."""
    width: int
    height: int

    def scaled_to(self, width: int, height: int) -> Calibration:
        """The same lens at another resolution (same aspect ratio assumed; x and y scaled separately)."""
        if (width, height) == (self.width, self.height):
            return self
        sx, sy = width / self.width, height / self.height
        k = self.camera_matrix.astype(np.float64).copy()
        k[0, :] *= sx
        k[1, :] *= sy
        return Calibration(k, self.dist_coeffs.copy(), int(width), int(height))

    @property
    def has_distortion(self) -> bool:
        return bool(np.any(self.dist_coeffs != 0))


def default_calibration(width: int, height: int) -> Calibration:
    """An uncalibrated camera: fx = fy = 0.9 × width (≈ 58° horizontal view), centred, no distortion."""
    f = 0.9 * width
    k = np.array([[f, 0.0, width / 2.0], [0.0, f, height / 2.0], [0.0, 0.0, 1.0]])
    return Calibration(k, np.zeros(5), int(width), int(height))


def load_calibration(path: str | Path) -> Calibration:
    """Read ``camera_matrix`` (3×3), ``dist_coeffs``, ``width``, ``height`` from a YAML or JSON file."""
    p = Path(path)
    if not p.is_file():
        raise CameraError(f"Camera calibration file {p} does not exist.",
                          hint="Give the path of a YAML or JSON calibration file, or leave it out to use the default.")
    try:
        text = p.read_text("utf-8")
        data: Any = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as e:
        raise CameraError(f"Camera calibration file {p} cannot be read: {e}") from e
    if not isinstance(data, dict):
        raise CameraError(f"Camera calibration file {p} must be a mapping with camera_matrix, dist_coeffs, "
                          "width and height.")
    missing = [k for k in ("camera_matrix", "width", "height") if k not in data]
    if missing:
        raise CameraError(f"Camera calibration file {p} is missing {', '.join(missing)}.")
    try:
        k = np.asarray(data["camera_matrix"], dtype=np.float64)
        dist = np.asarray(data.get("dist_coeffs") or [0.0] * 5, dtype=np.float64).reshape(-1)
        width, height = int(data["width"]), int(data["height"])
    except (TypeError, ValueError) as e:
        raise CameraError(f"Camera calibration file {p} has a value that is not a number: {e}") from e
    if k.shape != (3, 3) or not np.all(np.isfinite(k)) or k[0, 0] <= 0 or k[1, 1] <= 0:
        raise CameraError(f"Camera calibration file {p}: camera_matrix must be 3×3 with positive focal lengths.")
    if dist.size not in (4, 5, 8, 12, 14) or not np.all(np.isfinite(dist)):
        raise CameraError(f"Camera calibration file {p}: dist_coeffs must have 4, 5, 8, 12 or 14 numbers.")
    if width <= 0 or height <= 0:
        raise CameraError(f"Camera calibration file {p}: width and height must be positive.")
    return Calibration(k, dist, width, height)


def check_frame(frame: object, *, allow_grey: bool = False) -> np.ndarray:
    """The frame as an (H, W, 3) uint8 BGR array (or (H, W) grey when allowed), else ``CameraError``."""
    if frame is None:
        raise CameraError("No camera picture (the frame is empty).")
    if not isinstance(frame, np.ndarray):
        raise CameraError(f"A camera picture must be an image array, not {type(frame).__name__}.")
    if frame.size == 0:
        raise CameraError("The camera picture is empty (0 pixels).")
    if frame.dtype != np.uint8:
        raise CameraError(f"The camera picture has the wrong pixel type ({frame.dtype}; 8-bit expected).")
    grey = frame.ndim == 2
    if not (grey and allow_grey) and not (frame.ndim == 3 and frame.shape[2] == 3):
        raise CameraError(f"The camera picture has the wrong shape {frame.shape} (a colour H×W×3 image expected).")
    if frame.shape[0] * frame.shape[1] > MAX_PIXELS or min(frame.shape[:2]) < 16:
        raise CameraError(f"The camera picture size {frame.shape[1]}×{frame.shape[0]} is not supported.")
    return frame


def _is_blank(frame: np.ndarray) -> bool:
    # a sparse sample is enough: a live picture is never one flat colour
    sample = frame[:: max(1, frame.shape[0] // 32), :: max(1, frame.shape[1] // 32)]
    return int(sample.max()) - int(sample.min()) <= 2


class FrameSource(Protocol):
    def read(self) -> np.ndarray: ...
    def close(self) -> None: ...


class StillImage:
    """One image served as a repeating camera (a poster photo for demos and tests)."""

    def __init__(self, path: Path) -> None:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise CameraError(f"The picture {path} cannot be read (not an image, or a damaged file).")
        if _is_blank(image):
            raise CameraError(f"The picture {path} is blank.")
        self.image = check_frame(image)

    def read(self) -> np.ndarray:
        return self.image.copy()

    def close(self) -> None:
        pass


class CaptureSource:
    """A camera (index) or a video file through ``cv2.VideoCapture``; a video starts over at its end."""

    def __init__(self, spec: int | str, what: str, loop: bool) -> None:
        self.what, self.loop = what, loop
        self.cap = cv2.VideoCapture(spec)
        if not self.cap.isOpened():
            self.cap.release()
            raise CameraError(f"The {what} cannot be opened.",
                              hint="Check that it is connected and not used by another program, or set LINLI_CAMERA.")

    def read(self) -> np.ndarray:
        ok, frame = self.cap.read()
        if (not ok or frame is None) and self.loop:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self.cap.read()
        if not ok or frame is None:
            raise CameraError(f"The {self.what} gave no picture.")
        if frame.ndim == 2:  # some grey cameras / codecs
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        frame = check_frame(frame)
        if _is_blank(frame):
            raise CameraError(f"The {self.what} gave a blank picture (covered lens or no signal?).")
        return frame

    def close(self) -> None:
        self.cap.release()


def open_camera(spec: str | int) -> FrameSource:
    """A camera index (``0`` or ``"0"``), a video file, or a still image (repeated) → a frame source."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        index = int(spec)
        return CaptureSource(index, f"camera {index}", loop=False)
    path = Path(str(spec)).expanduser()
    if not path.is_file():
        raise CameraError(f"The camera source {path} does not exist.",
                          hint="Set LINLI_CAMERA to a camera number (0), a video file or an image file.")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return StillImage(path)
    source = CaptureSource(str(path), f"video {path.name}", loop=True)
    try:
        source.read()  # a file OpenCV "opens" but cannot decode fails here, not on the kiosk's first frame
    except CameraError:
        source.close()
        raise
    source.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    return source
