"""What both systems build on: errors addressed to people, and YAML that remembers its line numbers.

The bottom of the layer table (tests/test_architecture.py): it imports nothing of the project, so the
kiosk side (``assistant.shared``) and the neutral ``wayfinding`` (which the office system uses) can share it
without either depending on the other.
"""
