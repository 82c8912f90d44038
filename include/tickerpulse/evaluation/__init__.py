"""Measure a sentiment scorer on labelled data: readers, metrics, the report and the run store."""
