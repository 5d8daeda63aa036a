"""This installation's community as the kiosk side's settings name it: the map file and the QR key.

A package of its own, below the kiosk parts that use it (the skills' wayfinder, the guide feed, the map,
QR and knowledge commands), so that none of them reaches up into the launcher for it.
"""
