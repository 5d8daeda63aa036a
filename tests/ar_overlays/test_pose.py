import numpy as np
import pytest

from ar_overlays.detect import MarkerDetection, MarkerDetector
from ar_overlays.geometry import heading_difference, marker_corners_world
from ar_overlays.pose import best_pose, estimate_pose
from ar_overlays.testing import add_noise, post_at, project, render_marker

DETECTOR = MarkerDetector()


@pytest.mark.parametrize(("facing", "camera", "heading", "pitch", "size"), [
    (180.0, (0.0, -2.0, 1.5), 0.0, 0.0, (1280, 720)),
    (180.0, (0.7, -1.9, 1.4), -12.0, -5.0, (1280, 720)),
    (180.0, (1.2, -1.6, 1.2), -35.0, 6.0, (1280, 720)),
    (90.0, (2.0, 0.3, 1.6), 275.0, -4.0, (1280, 720)),  # a post facing east
    (225.0, (-1.4, -1.4, 1.5), 40.0, 0.0, (1280, 720)),
    (180.0, (0.2, -2.0, 1.5), 3.0, 0.0, (640, 480)),
])
def test_pose_at_two_metres(facing: float, camera: tuple[float, float, float], heading: float, pitch: float,
                            size: tuple[int, int]) -> None:
    post = post_at(aruco=4, at=(0.0, 0.0), facing=facing)
    shot = render_marker(post, camera, heading, pitch, size=size)
    frame = add_noise(shot.frame, 6)
    (det,) = DETECTOR.detect(frame)
    pose = estimate_pose(det, post, shot.calibration)
    assert pose is not None
    assert np.linalg.norm(np.subtract(pose.position, camera)) < 0.05
    assert abs(heading_difference(pose.heading, heading)) < 3.0
    assert abs(pose.pitch - pitch) < 3.0
    assert pose.reprojection_error_px < 1.0
    assert (pose.post_id, pose.aruco_id) == ("post-test", 4)
    # rvec/tvec are world→camera: the post's world corners project onto the detected ones
    assert np.abs(project(marker_corners_world(post), pose.rvec, pose.tvec, shot.calibration)
                  - det.corners).max() < 1.5


def test_pose_from_exact_corners_is_exact() -> None:
    post = post_at(aruco=2, at=(10.0, -20.0), facing=300.0, height=2.0, size=0.3)
    shot = render_marker(post, (7.0, -18.0, 1.5), 300.0 - 180.0 + 10.0)
    pose = estimate_pose(MarkerDetection(2, shot.corners), post, shot.calibration)
    assert pose is not None
    assert np.allclose(pose.position, (7.0, -18.0, 1.5), atol=1e-3)


def test_best_pose_prefers_the_larger_known_marker_and_ignores_unknown_ids() -> None:
    near = post_at(aruco=3, at=(-0.5, 0.0), facing=180, post_id="near")
    far = post_at(aruco=12, at=(0.8, 3.0), facing=180, post_id="far")
    shot = render_marker(far, (0.0, -2.0, 1.5), 0.0)
    render_marker(near, (0.0, -2.0, 1.5), 0.0, frame=shot.frame)
    found = DETECTOR.detect(shot.frame)
    assert sorted(d.aruco_id for d in found) == [3, 12]
    pose = best_pose(found, {3: near, 12: far}, shot.calibration)
    assert pose is not None and pose.post_id == "near"
    only_far = best_pose(found, {12: far, 40: near}, shot.calibration)  # id 3 unknown here
    assert only_far is not None and only_far.post_id == "far"
    assert np.linalg.norm(np.subtract(only_far.position, (0.0, -2.0, 1.5))) < 0.15
    assert best_pose(found, {}, shot.calibration) is None


def test_a_bent_quad_is_refused() -> None:
    post = post_at(aruco=3)
    shot = render_marker(post, (0.0, -2.0, 1.5), 0.0)
    bent = shot.corners.copy()
    bent[2] += (25.0, 18.0)  # e.g. a dark sleeve merged with the border
    assert best_pose([MarkerDetection(3, bent)], {3: post}, shot.calibration) is None
