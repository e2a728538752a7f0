"""Helpers the tests share: a loopback Hub emulator and throw-away plugin distributions."""
