"""Who may do what: API keys, each bound to one tenant and carrying roles.

apikeys.py   create, list, look up, revoke and rotate keys (stored only as SHA-256 digests)
throttle.py  failed authentications per client address (429 past a threshold)
"""
