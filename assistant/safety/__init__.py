"""Emergency safety shared by the front ends (kiosk and voice terminal), working with Rasa or the action
server down: the local emergency detector, the direct alert path, the confirm question's timer and the
front end's own words for a turn that got no answer. Design: docs/emergency-triage.md."""
