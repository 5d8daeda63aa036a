"""The kiosk's camera guide: camera, marker detection, pose, the route drawn on the picture, QR posters
(design: ``docs/ar.md``). The map, routing, signing and the 2D map picture are in ``wayfinding``.

Runs in the main venv with OpenCV, qrcode and Pillow; never imports Rasa, Vosk or Kivy.
"""
