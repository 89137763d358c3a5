"""An example partner web app: receives the install callback, links the Zentail account to the
logged-in partner user, exchanges the code, and lists that account's pending orders.

Run it with ``python -m examples.partner_app`` (see README.md beside this file).
"""
