import numpy as np
import pytest

from ar_overlays.camera import default_calibration
from ar_overlays.geometry import (
    compass_vector,
    heading_difference,
    heading_of,
    look_pose,
    marker_corners_world,
    marker_rotation,
    marker_to_world,
    world_to_marker,
)
from ar_overlays.testing import post_at, project


@pytest.mark.parametrize(("dx", "dy", "heading"), [(0, 1, 0), (1, 0, 90), (0, -1, 180), (-1, 0, 270), (1, 1, 45)])
def test_heading_of_compass(dx: float, dy: float, heading: float) -> None:
    assert heading_of(dx, dy) == pytest.approx(heading)
    ex, ey = compass_vector(heading)
    assert heading_of(ex, ey) == pytest.approx(heading % 360)


def test_heading_difference_is_signed_and_wraps() -> None:
    assert heading_difference(350, 10) == pytest.approx(20)
    assert heading_difference(10, 350) == pytest.approx(-20)
    assert heading_difference(0, 180) == pytest.approx(180)


@pytest.mark.parametrize("facing", [0, 37, 90, 180, 271.5])
def test_marker_rotation_is_a_right_handed_frame_facing_out(facing: float) -> None:
    rot = marker_rotation(facing)
    assert np.allclose(rot.T @ rot, np.eye(3))
    assert np.linalg.det(rot) == pytest.approx(1.0)
    z = rot[:, 2]
    assert heading_of(z[0], z[1]) == pytest.approx(facing % 360)
    assert np.allclose(rot[:, 1], [0, 0, 1])


def test_marker_frame_round_trip_and_corner_order() -> None:
    post = post_at(at=(5.0, -3.0), facing=180, height=1.5, size=0.2)  # face looks south: a viewer faces north
    corners = marker_corners_world(post)
    # viewer facing north has east on the right: TL is west and up
    assert np.allclose(corners[0], [4.9, -3.0, 1.6])
    assert np.allclose(corners[2], [5.1, -3.0, 1.4])
    pts = np.array([[0.3, -0.2, 1.0], [0, 0, 0]])
    assert np.allclose(world_to_marker(post, marker_to_world(post, pts)), pts)


def test_look_pose_puts_the_target_on_the_principal_point() -> None:
    cal = default_calibration(1280, 720)
    rvec, tvec = look_pose((0, 0, 1.5), heading_deg=90)
    ahead, above, right = project(np.array([[10, 0, 1.5], [10, 0, 2.5], [10, -1, 1.5]]), rvec, tvec, cal)
    assert np.allclose(ahead, [640, 360])
    assert above[1] < 360 and abs(above[0] - 640) < 1e-6  # up in the world is up in the picture
    assert right[0] > 640  # looking east, south is on the right
