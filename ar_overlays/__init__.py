"""Community map, routing, AR overlays and QR guides (design: ``docs/ar.md``).

Runs in the main venv with OpenCV, networkx, qrcode and Pillow; never imports Rasa, Vosk or Kivy.
"""
