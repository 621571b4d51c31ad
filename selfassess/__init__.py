"""selfassess: NHS trust boards hold themselves to account on health inequalities."""

__version__ = "0.1.0"
