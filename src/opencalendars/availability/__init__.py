"""The availability engine: pure functions over plain data. No database, no HTTP.

`rules` holds the plain shapes, `resolver` turns weekly rules and date overrides into
open windows as UTC instants.
"""
