"""The booking widget (docs/widget.md, PRODUCT §15): the public pages where a business's clients
book themselves, in English and Spanish, driven by the calendar's own settings.

router.py: the routes; service.py: what the pages read and do (the same free-slot engine and
booking path as the API); forms.py: the booking form and its checks; links.py: the server's
secret, signed links and CSRF tokens; limits.py: the per-IP limit on posts; ics.py: the `.ics`
of a booking; i18n.py: languages, catalogs and dates; pages.py: templates and security headers.
"""
