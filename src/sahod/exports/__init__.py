"""Account exports: a report a credit officer prints (PDF) and every data point (CSV)."""
