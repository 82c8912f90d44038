"""Ticker Pulse: stock sentiment from Reddit, next to what the price did.

All pipeline logic lives here so it can be tested without a scheduler; the DAG files in dags/
only wire these functions together.
"""

__version__ = "0.1.0"
