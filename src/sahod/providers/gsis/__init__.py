"""eGSIS Member Online, the Government Service Insurance System's member portal."""
