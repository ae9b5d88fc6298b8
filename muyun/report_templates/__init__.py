"""Renderers of the enterprise report (HTML, PDF) and the charts they share."""
