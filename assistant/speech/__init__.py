"""Speech in and out: audio I/O, Vosk recognition, pyttsx3 synthesis, model management, the voice loop.

Nothing outside this package imports vosk, pyttsx3 or sounddevice; the kiosk talks to it through events.
"""
