"""Who may do what: API keys, each bound to one tenant and carrying roles.

apikeys.py  create, look up and revoke keys (stored only as SHA-256 digests)
"""
