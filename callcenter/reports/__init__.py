"""Service indicators (docs/indicators.md): pure arithmetic from the append-only
log to figures (facts, indicators, agents, funnel), the rebuild from the
database (store) and the live figures (live)."""
