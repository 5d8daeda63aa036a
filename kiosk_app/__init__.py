"""Linli kiosk: a Kivy touchscreen front end over the conversation client and the voice session."""
