"""The wizard's steps, their titles, and the step a folder opens at for each store state."""

STEPS = ("connect", "discover", "map", "estimate", "conflicts", "run", "report")
STEP_TITLES = {
    "connect": "Connect",
    "discover": "Discover",
    "map": "Map",
    "estimate": "Estimate",
    "conflicts": "Conflicts",
    "run": "Run",
    "report": "Report",
}
STATE_STEP = {
    "new": "connect",
    "discovered": "map",
    "planned": "estimate",
    "running": "run",
    "interrupted": "run",
    "finished": "report",
    "rolled back": "report",
}
