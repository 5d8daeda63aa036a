"""Wayfinding shared by the kiosk and the office system: the community map, routing, QR signing and guide
links, and the plain 2D map picture (design: ``docs/ar.md``).

Depends on nothing else of the project (not ``assistant``, ``ar_overlays``, ``community_services``):
both sides use it, so the office system runs without the kiosk's libraries. Settings are parameters
here; reading ``LINLI_MAP``, ``LINLI_QR_KEY`` and the rest is the caller's job (its own settings).
Imports pydantic, PyYAML, networkx, numpy, OpenCV and Pillow; never Kivy, Vosk, torch or Rasa.
"""
