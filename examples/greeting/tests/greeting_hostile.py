"""Hostile inputs for greeting: every exported function driven with bad arguments.
Only Python exceptions may come out; a trap would end the interpreter and fail the test."""
import _greeting_cap
from pylon_hostile import Fuzz

fuzz = Fuzz()
fuzz.drive(_greeting_cap.greet, fuzz.strings(), fuzz.integers())
fuzz.drive(_greeting_cap.adler32, fuzz.data([b"Wikipedia"]))
fuzz.report()
