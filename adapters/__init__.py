"""One package per system: its client, wire models, mapping to the canonical model, and its
sandbox (a faithful fake of the vendor's API served on loopback)."""
