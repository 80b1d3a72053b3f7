"""The media bridge: relays ACS call audio to the Realtime API and back (see bridge/README.md)."""
