"""Who may run a command (`requires`). Each command then reads and writes through the package,
whose checks scope it as the pages are scoped (a coordinator's own partnerships' records)."""

ADMIN = "administrators"  # active administrators only
READER = "users"  # any active user
OPEN = "anyone"  # no user needed: the command holds no records (init, a blank template)
