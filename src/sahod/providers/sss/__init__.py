"""My.SSS, the Social Security System's member portal."""
