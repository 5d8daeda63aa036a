import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from ar_overlays.camera import CameraError, check_frame, default_calibration, load_calibration, open_camera
from ar_overlays.testing import textured_background
from assistant.shared.errors import LinliError


def test_default_calibration() -> None:
    cal = default_calibration(1280, 720)
    assert cal.camera_matrix[0, 0] == pytest.approx(1152) and cal.camera_matrix[1, 1] == pytest.approx(1152)
    assert tuple(cal.camera_matrix[:2, 2]) == (640, 360)
    assert not cal.has_distortion
    half = cal.scaled_to(640, 360)
    assert half.camera_matrix[0, 0] == pytest.approx(576) and half.camera_matrix[1, 2] == pytest.approx(180)
    assert cal.scaled_to(1280, 720) is cal


def test_load_calibration_yaml_and_json(tmp_path: Path) -> None:
    k = [[900.0, 0, 320], [0, 905.0, 240], [0, 0, 1]]
    (tmp_path / "cam.yml").write_text(
        f"camera_matrix: {k}\ndist_coeffs: [0.1, -0.05, 0, 0, 0]\nwidth: 640\nheight: 480\n")
    cal = load_calibration(tmp_path / "cam.yml")
    assert cal.camera_matrix[1, 1] == 905 and cal.has_distortion and (cal.width, cal.height) == (640, 480)
    (tmp_path / "cam.json").write_text(json.dumps({"camera_matrix": k, "width": 640, "height": 480}))
    assert not load_calibration(tmp_path / "cam.json").has_distortion


@pytest.mark.parametrize(("text", "message"), [
    ("camera_matrix: [1, 2, 3]\nwidth: 640\nheight: 480\n", "3×3"),
    ("width: 640\nheight: 480\n", "missing camera_matrix"),
    ("camera_matrix: [[1,0,0],[0,1,0],[0,0,1]]\ndist_coeffs: [1, 2]\nwidth: 640\nheight: 480\n", "dist_coeffs"),
    ("camera_matrix: [[a,0,0],[0,1,0],[0,0,1]]\nwidth: 640\nheight: 480\n", "not a number"),
    ("camera_matrix: [[1,0,0],[0,1,0],[0,0,1]]\nwidth: 0\nheight: 480\n", "positive"),
    ("- just a list\n", "mapping"),
    ("camera_matrix: [[1, 0\n", "cannot be read"),
])
def test_bad_calibration_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "cam.yaml"
    path.write_text(text)
    with pytest.raises(CameraError, match=message) as e:
        load_calibration(path)
    assert str(path) in e.value.message


def test_missing_calibration_file(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="does not exist"):
        load_calibration(tmp_path / "nope.yml")


def test_camera_error_is_a_linli_error() -> None:
    assert issubclass(CameraError, LinliError) and CameraError.code == "camera_error"


def test_still_image_repeats(tmp_path: Path) -> None:
    path = tmp_path / "poster.png"
    image = textured_background((320, 240))
    cv2.imwrite(str(path), image)
    source = open_camera(str(path))
    a, b = source.read(), source.read()
    assert a.shape == (240, 320, 3) and np.array_equal(a, b) and np.array_equal(a, image)
    a[:] = 0  # the caller may draw on its frame without spoiling the next one
    assert source.read().any()
    source.close()


def test_video_file_plays_and_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "walk.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    assert writer.isOpened()
    for i in range(4):
        writer.write(textured_background((320, 240), seed=i))
    writer.release()
    source = open_camera(str(path))
    frames = [source.read() for _ in range(9)]  # more than the video holds: it loops
    assert all(f.shape == (240, 320, 3) and f.dtype == np.uint8 for f in frames)
    assert np.abs(frames[0].astype(int) - frames[4].astype(int)).mean() < 2  # back at the start
    source.close()


def test_sources_that_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="does not exist"):
        open_camera(str(tmp_path / "missing.mp4"))
    with pytest.raises(CameraError, match="camera 97 cannot be opened"):
        open_camera(97)
    with pytest.raises(CameraError, match="camera 98"):
        open_camera("98")


def test_corrupt_and_blank_files(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
    with pytest.raises(CameraError, match="cannot be read"):
        open_camera(str(tmp_path / "broken.png"))
    cv2.imwrite(str(tmp_path / "black.png"), np.zeros((240, 320, 3), np.uint8))
    with pytest.raises(CameraError, match="blank"):
        open_camera(str(tmp_path / "black.png"))
    (tmp_path / "broken.avi").write_bytes(b"RIFF" + bytes(5000))
    with pytest.raises(CameraError):
        open_camera(str(tmp_path / "broken.avi"))


@pytest.mark.parametrize(("frame", "message"), [
    (None, "empty"),
    ([[1, 2], [3, 4]], "image array"),
    (np.zeros((0, 0, 3), np.uint8), "empty"),
    (np.zeros((100, 100, 3), np.float32), "pixel type"),
    (np.zeros((100, 100), np.uint8), "shape"),
    (np.zeros((100, 100, 4), np.uint8), "shape"),
    (np.zeros((5000, 5000, 3), np.uint8), "not supported"),
    (np.zeros((4, 4, 3), np.uint8), "not supported"),
])
def test_check_frame_refuses_what_is_not_a_picture(frame: object, message: str) -> None:
    with pytest.raises(CameraError, match=message):
        check_frame(frame)


def test_check_frame_may_allow_grey() -> None:
    grey = np.zeros((100, 100), np.uint8)
    assert check_frame(grey, allow_grey=True) is grey
