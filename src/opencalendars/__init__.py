"""OpenCalendars: a self-hosted scheduling server that speaks the HighLevel Calendars API."""

__version__ = "0.1.0"
