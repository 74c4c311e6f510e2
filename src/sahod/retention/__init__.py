"""What Sahod stops keeping, and when: credentials of failed accounts, and the data of
accounts whose tenant has no Continuous Data Sync once the retention window is over."""
