"""Archives (issue 13): documents a user or a tenant uploads (payslips, BIR 2316s,
certificates of employment), checked by their bytes, stored, analysed by a job, and their
figures published as incomes and employments with ``metadata.sourceType: ARCHIVE``."""
