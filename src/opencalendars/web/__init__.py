"""Pages for people rather than programs: the OAuth consent page (consent.py), its operator
sign-in (session.py) and their HTML (pages.py)."""
