"""The authorization server protocol, in RFC vocabulary.

Nothing here imports the ORM or the web framework's request objects except the endpoint
modules, which adapt Starlette requests to the protocol steps.
"""
