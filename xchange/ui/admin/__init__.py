"""The Administration page's tabs, one function each; pages/6_Admin.py calls them in order."""

from __future__ import annotations

from xchange.ui.admin.organisations import organisations_tab
from xchange.ui.admin.partnerships import partnerships_tab
from xchange.ui.admin.programme import programme_tab
from xchange.ui.admin.users import users_tab

__all__ = ["organisations_tab", "partnerships_tab", "programme_tab", "users_tab"]
