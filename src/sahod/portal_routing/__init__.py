"""Which member portal an account's connector talks to: its tenant's mode decides."""
