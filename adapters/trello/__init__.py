"""Trello: the client, wire models, mapping to the canonical model, the source adapter
(`source.py`), its spec (`spec.py`) and its sandbox. Importing the package imports none of them:
the sandbox needs the web server of the [sandbox] extra, which a real migration does not install."""
