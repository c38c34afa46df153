"""Psychodynamic therapy evidence explorer: data, statistics and charts."""
