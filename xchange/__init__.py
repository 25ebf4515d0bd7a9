"""ClusterXchange tracker: the register of exchanges, its rules, KPIs and reports."""

__version__ = "0.1.0"
