"""My PhilHealth Portal, the Philippine Health Insurance Corporation's member portal."""
