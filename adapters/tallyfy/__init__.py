"""Tallyfy, the target: its REST client, the target adapter, its spec (`spec.py`) and its sandbox
(a faithful fake of the API). Importing the package imports none of them: the sandbox needs the
web server of the [sandbox] extra, which a real migration does not install."""
