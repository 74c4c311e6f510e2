"""Virtual Pag-IBIG, the Home Development Mutual Fund's member portal."""
